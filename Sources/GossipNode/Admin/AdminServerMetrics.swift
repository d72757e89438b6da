import CoreMetrics
import GossipObservability
import GossipRuntime
import Logging
import ProtocolSupport

/// Exports the admin server's refusals and cut-offs (docs/ARCHITECTURE.md, "Limits") as metrics, and logs
/// the ones that mean pressure at a rate-limited level, so a connection flood shows up in both without
/// being able to flood the log.
///
/// The counters are created once, one per known reason; an unknown reason counts as `other`.
final class AdminServerMetrics: Sendable {
    private let refused: [String: Counter]
    private let cutOff: [String: Counter]
    private let requestsRefused: [String: Counter]
    private let open: Gauge
    private let logger: Logger
    private let limiter = LogRateLimiter(limit: 5, window: .seconds(60))
    private let now: @Sendable () -> Instant

    init(factory: any MetricsFactory, logger: Logger, now: @escaping @Sendable () -> Instant) {
        func counters(_ descriptor: MetricDescriptor, _ reasons: [String]) -> [String: Counter] {
            Dictionary(uniqueKeysWithValues: Set(reasons + ["other"]).sorted().map {
                ($0, Counter(label: descriptor.name, dimensions: [("reason", $0)], factory: factory))
            })
        }
        refused = counters(MetricContract.adminConnectionsRefused, MetricContract.adminConnectionRefusalReasons)
        cutOff = counters(MetricContract.adminConnectionsCutOff, MetricContract.adminCutOffReasons)
        requestsRefused = counters(MetricContract.adminRequestsRefused, MetricContract.adminRequestRefusalReasons)
        open = Gauge(label: MetricContract.adminConnectionsOpen.name, factory: factory)
        self.logger = logger
        self.now = now
    }

    /// The observer to start the admin server with.
    var observer: AdminHTTPServerObserver {
        AdminHTTPServerObserver(
            connectionRefused: { [self] reason in
                count(refused, reason)
                limiter.log(logger, level: .warning, key: "admin-refused", now: now(),
                            "admin connection refused: every connection is busy", metadata: ["reason": "\(reason)"])
            },
            connectionCutOff: { [self] reason in
                count(cutOff, reason)
                // An idle keep-alive client timing out is ordinary; eviction and stalls are pressure.
                guard reason != "idle_timeout", reason != "loop_shutdown" else { return }
                limiter.log(logger, level: .warning, key: "admin-cut-\(reason)", now: now(),
                            "admin connection cut off", metadata: ["reason": "\(reason)"])
            },
            requestRefused: { [self] reason in
                count(requestsRefused, reason)
                limiter.log(logger, level: .info, key: "admin-request-refused", now: now(),
                            "admin request refused", metadata: ["reason": "\(reason)"])
            },
            openConnections: { [open] count in open.record(count) })
    }

    private func count(_ counters: [String: Counter], _ reason: String) {
        (counters[reason] ?? counters["other"])?.increment()
    }
}
