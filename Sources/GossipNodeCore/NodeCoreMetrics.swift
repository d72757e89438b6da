import CoreMetrics
import Membership
import Plumtree
import ProtocolSupport

/// What the node core itself records, beside its two cores' metrics.
struct NodeCoreMetrics: Sendable {
    let reconnectSucceeded: Counter
    let reconnectFailed: Counter
    /// Plumtree messages accepted by the Plumtree core that could not be handed to the network: the
    /// member vanished from membership in between.
    let sendsFailedMemberGone: Counter
    /// Plumtree messages handed to the network whose stream then failed, by ``StreamFailure``.
    let sendsFailedRefused: Counter
    let sendsFailedTimedOut: Counter
    let sendsFailedClosed: Counter
    /// Broadcasts refused at the API, by reason (see ``NodeCoreMetrics/broadcastRefusalReasons``).
    let broadcastsRefused: [Counter]
    let outboundStreams: Gauge
    let outboundStreamBytes: Gauge
    /// Partitions the ``PartitionDetector`` suspected: a count the simulator's runs and a dashboard can
    /// read, where the log line is for the operator.
    let partitionsSuspected: Counter
    /// Seed names the driver could not resolve, by ``SeedResolutionFailure/Reason``, in its `allCases` order.
    let seedResolutionFailures: [Counter]

    init(factory: any MetricsFactory) {
        reconnectSucceeded = Counter(label: "gossip_node_reconnects_total", dimensions: [("result", "joined")], factory: factory)
        reconnectFailed = Counter(label: "gossip_node_reconnects_total", dimensions: [("result", "failed")], factory: factory)
        func sendsFailed(_ reason: String) -> Counter {
            Counter(label: "plumtree_sends_failed_total", dimensions: [("reason", reason)], factory: factory)
        }
        sendsFailedMemberGone = sendsFailed("member_gone")
        sendsFailedRefused = sendsFailed("stream_refused")
        sendsFailedTimedOut = sendsFailed("stream_timed_out")
        sendsFailedClosed = sendsFailed("stream_closed")
        broadcastsRefused = Self.broadcastRefusalReasons.map {
            Counter(label: "plumtree_broadcasts_refused_total", dimensions: [("reason", $0)], factory: factory)
        }
        outboundStreams = Gauge(label: "plumtree_outbound_streams", factory: factory)
        outboundStreamBytes = Gauge(label: "plumtree_outbound_stream_bytes", factory: factory)
        outboundStreams.record(0)
        outboundStreamBytes.record(0)
        partitionsSuspected = Counter(label: "gossip_node_partitions_suspected_total", factory: factory)
        seedResolutionFailures = SeedResolutionFailure.Reason.allCases.map {
            Counter(label: "gossip_node_seed_resolution_failures_total", dimensions: [("reason", $0.rawValue)], factory: factory)
        }
    }

    func seedResolutionFailed(_ reason: SeedResolutionFailure.Reason) -> Counter {
        switch reason {
        case .notFound: seedResolutionFailures[0]
        case .temporaryFailure: seedResolutionFailures[1]
        case .noAddress: seedResolutionFailures[2]
        case .failed: seedResolutionFailures[3]
        }
    }

    func reconnects(succeeded: Bool) -> Counter { succeeded ? reconnectSucceeded : reconnectFailed }

    func sendFailed(_ failure: StreamFailure) -> Counter {
        switch failure {
        case .refused: sendsFailedRefused
        case .timedOut: sendsFailedTimedOut
        case .closed: sendsFailedClosed
        }
    }

    /// Label values of `plumtree_broadcasts_refused_total{reason}`, in ``broadcastsRefused`` order.
    static let broadcastRefusalReasons = ["too_large", "trace_context_too_large", "cache_budget", "outbound_backlog"]

    func broadcastRefused(_ error: PlumtreeBroadcastError) -> Counter {
        switch error {
        case .payloadTooLarge: broadcastsRefused[0]
        case .traceContextTooLarge: broadcastsRefused[1]
        case .cacheBudgetExceeded: broadcastsRefused[2]
        case .outboundBacklog: broadcastsRefused[3]
        }
    }

    func recordOutbound(_ ledger: OutboundStreamLedger) {
        outboundStreams.record(ledger.count)
        outboundStreamBytes.record(ledger.bytes)
    }

    static let descriptors: [MetricDescriptor] = [
        MetricDescriptor(
            name: "gossip_node_reconnects_total", kind: .counter,
            help: "Push/pulls with failed members or seeds that the node retried on its own, by result (joined, failed)",
            labelNames: ["result"]),
        MetricDescriptor(
            name: "plumtree_sends_failed_total", kind: .counter,
            help: "Plumtree messages accepted for sending and then lost, by reason (member_gone, stream_refused, stream_timed_out, stream_closed)",
            labelNames: ["reason"]),
        MetricDescriptor(
            name: "plumtree_broadcasts_refused_total", kind: .counter,
            help: "Broadcasts refused at the API, by reason (too_large, trace_context_too_large, cache_budget, outbound_backlog)",
            labelNames: ["reason"]),
        MetricDescriptor(
            name: "plumtree_outbound_streams", kind: .gauge,
            help: "Plumtree streams sent and not yet read by their peer"),
        MetricDescriptor(
            name: "plumtree_outbound_stream_bytes", kind: .gauge,
            help: "Bytes of the Plumtree streams sent and not yet read by their peer"),
        MetricDescriptor(
            name: "gossip_node_partitions_suspected_total", kind: .counter,
            help: "Times at least 2 members, and a third of the others, failed within one suspicion timeout at its longest (each also logged as partition suspected)"),
        MetricDescriptor(
            name: "gossip_node_seed_resolution_failures_total", kind: .counter,
            help: "Lookups of a seed's host name that failed, at a join or a retry, by reason (not_found, temporary_failure, no_address, failed)",
            labelNames: ["reason"]),
    ]
}
