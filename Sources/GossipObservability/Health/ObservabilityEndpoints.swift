import ProtocolSupport

/// The answers to the observability routes of the admin HTTP server: `/metrics`, `/health`,
/// `/health/live`, `/health/ready`, and the 404 for anything else.
///
/// Each is a plain ``HTTPAnswer`` so that the server (the node's libuv admin server, or a test's) only
/// writes it out.
public enum ObservabilityEndpoints {
    /// The paths answered here.
    public static let paths = ["/metrics", "/health", "/health/live", "/health/ready"]

    /// `GET /metrics`: the node's registry in the text exposition format 0.0.4.
    public static func metrics(_ metrics: NodeMetrics) -> HTTPAnswer {
        HTTPAnswer(status: 200, contentType: NodeMetrics.contentType, body: metrics.render())
    }

    /// `GET /health`: 200 healthy, 503 degraded, 500 unhealthy, with the report as JSON.
    public static func health(_ report: HealthReport) -> HTTPAnswer {
        HTTPAnswer(status: report.status.httpStatus, json: report.json)
    }

    /// `GET /health/live`: 200 while the loop ticked within the watchdog's timeout, else 503.
    public static func live(_ watchdog: LivenessWatchdog, now: Instant) -> HTTPAnswer {
        let alive = watchdog.isAlive(now: now)
        let writer = JSONWriter()
        writer.object {
            writer.field("status", string: alive ? "alive" : "stalled")
            if let last = watchdog.lastTickInstant {
                writer.field("seconds_since_tick", number: now.duration(since: last).seconds)
            }
            writer.field("timeout_seconds", number: watchdog.timeout.seconds)
        }
        return HTTPAnswer(status: alive ? 200 : 503, json: writer.text)
    }

    /// Why a node is not ready, in the order checked.
    public enum NotReady: String, Sendable, CaseIterable {
        case notStarted = "not_started"
        case notJoined = "not_joined"
        case unhealthy = "unhealthy"
    }

    /// The readiness rule: started, joined to at least one other member, and not unhealthy.
    public static func readinessProblems(_ report: HealthReport) -> [NotReady] {
        var problems: [NotReady] = []
        if !report.input.running { problems.append(.notStarted) }
        if report.input.otherLiveMembers < 1 { problems.append(.notJoined) }
        if report.status == .unhealthy { problems.append(.unhealthy) }
        return problems
    }

    /// `GET /health/ready`: 200 once started, joined to another member and not unhealthy; else 503.
    public static func ready(_ report: HealthReport) -> HTTPAnswer {
        let problems = readinessProblems(report)
        let writer = JSONWriter()
        writer.object {
            writer.field("ready") { writer.appendRaw(problems.isEmpty ? "true" : "false") }
            writer.field("status", string: report.status.rawValue)
            writer.field("problems") {
                writer.array(problems) { problem in
                    var quoted = ""
                    JSONWriter.appendQuoted(problem.rawValue, to: &quoted)
                    writer.raw(quoted)
                }
            }
        }
        return HTTPAnswer(status: problems.isEmpty ? 200 : 503, json: writer.text)
    }

    /// Anything else: 404 with a short JSON error.
    public static func notFound(path: String) -> HTTPAnswer {
        let writer = JSONWriter()
        writer.object {
            writer.field("error", string: "not found")
            writer.field("path", string: String(path.prefix(256)))
        }
        return HTTPAnswer(status: 404, json: writer.text)
    }
}
