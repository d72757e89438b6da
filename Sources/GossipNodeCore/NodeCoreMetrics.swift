import CoreMetrics
import MemberlistWire
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
    /// Members this node cannot speak Plumtree with (no version in common).
    let incompatibleMembers: Gauge
    /// serf queries that reached this node, by what became of them (``serfQueryResults``).
    let serfQueries: [String: Counter]
    /// serf messages refused, by the wire's reason.
    let serfRefused: [WireError.Reason: Counter]
    /// Changes to this node's keyring, by operation and result.
    let keyringChanges: [String: Counter]
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
        incompatibleMembers = Gauge(label: "plumtree_incompatible_members", factory: factory)
        incompatibleMembers.record(0)
        var queries: [String: Counter] = [:]
        for result in Self.serfQueryResults {
            queries[result] = Counter(label: "gossip_node_serf_queries_total", dimensions: [("result", result)], factory: factory)
        }
        serfQueries = queries
        var refused: [WireError.Reason: Counter] = [:]
        for reason in WireError.Reason.allCases {
            refused[reason] = Counter(label: "gossip_node_serf_messages_refused_total", dimensions: [("reason", reason.rawValue)],
                                      factory: factory)
        }
        serfRefused = refused
        var changes: [String: Counter] = [:]
        for operation in Self.keyringChangeOperations {
            for result in ["applied", "failed"] {
                changes["\(operation)/\(result)"] = Counter(
                    label: "gossip_node_keyring_changes_total", dimensions: [("operation", operation), ("result", result)],
                    factory: factory)
            }
        }
        keyringChanges = changes
        seedResolutionFailures = SeedResolutionFailure.Reason.allCases.map {
            Counter(label: "gossip_node_seed_resolution_failures_total", dimensions: [("reason", $0.rawValue)], factory: factory)
        }
    }

    /// Label values of `gossip_node_serf_queries_total{result}`: answered (an internal query this node
    /// acted on, or a ping), filtered (not addressed to this node by its filters, gossiped on only), ignored
    /// (a user query or an internal one this node does not implement), duplicate, too_old.
    static let serfQueryResults = ["answered", "filtered", "ignored", "duplicate", "too_old"]
    static let keyringChangeOperations = ["install", "use", "remove"]

    func serfQuery(_ result: String) { serfQueries[result]?.increment() }

    func keyringChanged(_ operation: KeyringOperation, applied: Bool) {
        keyringChanges["\(operation.verb)/\(applied ? "applied" : "failed")"]?.increment()
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
            name: "plumtree_incompatible_members", kind: .gauge,
            help: "Members that run Plumtree in versions this node does not speak: they and this node get no broadcasts from each other"),
        MetricDescriptor(
            name: "gossip_node_serf_queries_total", kind: .counter,
            help: "serf queries received, by result (answered, filtered, ignored, duplicate, too_old)",
            labelNames: ["result"]),
        MetricDescriptor(
            name: "gossip_node_serf_messages_refused_total", kind: .counter,
            help: "serf queries, query responses and relays refused as malformed, by reason",
            labelNames: ["reason"]),
        MetricDescriptor(
            name: "gossip_node_keyring_changes_total", kind: .counter,
            help: "Changes to this node's keyring (asked by a serf key query or this node's own keyring operation), by operation (install, use, remove) and result (applied, failed)",
            labelNames: ["operation", "result"]),
        MetricDescriptor(
            name: "gossip_node_seed_resolution_failures_total", kind: .counter,
            help: "Lookups of a seed's host name that failed, at a join or a retry, by reason (not_found, temporary_failure, no_address, failed)",
            labelNames: ["reason"]),
    ]
}
