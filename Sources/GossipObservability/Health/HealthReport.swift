/// The health model's answer: a status, the reasons behind it, and the figures it looked at.
public struct HealthReport: Sendable, Equatable {
    public var status: HealthStatus
    /// Worst first; empty when healthy.
    public var reasons: [HealthReason]
    public var input: HealthInput
    /// Failures / outcomes over the graft window.
    public var graftFailureRatio: Double
    public var graftSuccessesInWindow: UInt64
    public var graftFailuresInWindow: UInt64
    public var graftWindow: Duration

    /// Whether any reason carries `code`.
    public func has(_ code: HealthReason.Code) -> Bool {
        reasons.contains { $0.code == code }
    }

    /// The /health JSON body.
    public var json: String {
        let writer = JSONWriter()
        writer.object {
            writer.field("status", string: status.rawValue)
            writer.field("reasons") {
                writer.array(reasons) { reason in
                    writer.object {
                        writer.field("code", string: reason.code.rawValue)
                        writer.field("severity", string: reason.severity.rawValue)
                        writer.field("message", string: reason.message)
                    }
                }
            }
            writer.field("peers") {
                writer.object {
                    writer.field("eager", number: Double(input.eagerPeers))
                    writer.field("lazy", number: Double(input.lazyPeers))
                    writer.field("total", number: Double(input.totalPeers))
                    writer.field("minimum", number: Double(input.minimumPeers))
                }
            }
            writer.field("cache") {
                writer.object {
                    writer.field("size", number: Double(input.cacheSize))
                    writer.field("capacity", number: Double(input.cacheCapacity))
                    writer.field("utilisation", number: input.cacheUtilisation)
                }
            }
            writer.field("grafts") {
                writer.object {
                    writer.field("failure_ratio", number: graftFailureRatio)
                    writer.field("successes", number: Double(graftSuccessesInWindow))
                    writer.field("failures", number: Double(graftFailuresInWindow))
                    writer.field("window_seconds", number: graftWindow.seconds)
                    writer.field("pending", number: Double(input.pendingGrafts))
                }
            }
            writer.field("awareness_score", number: Double(input.awarenessScore))
            writer.field("members") {
                writer.object {
                    writer.field("alive", number: Double(input.members.alive))
                    writer.field("suspect", number: Double(input.members.suspect))
                    writer.field("dead", number: Double(input.members.dead))
                    writer.field("left", number: Double(input.members.left))
                }
            }
        }
        return writer.text
    }
}
