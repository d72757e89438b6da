import CoreMetrics
import ProtocolSupport

/// What the node core itself records, beside its two cores' metrics.
struct NodeCoreMetrics: Sendable {
    let reconnectSucceeded: Counter
    let reconnectFailed: Counter
    /// Plumtree messages accepted by the Plumtree core that could not be handed to the network: the
    /// member vanished from membership in between.
    let sendsFailed: Counter
    /// Partitions the ``PartitionDetector`` suspected: a count the simulator's runs and a dashboard can
    /// read, where the log line is for the operator.
    let partitionsSuspected: Counter

    init(factory: any MetricsFactory) {
        reconnectSucceeded = Counter(label: "gossip_node_reconnects_total", dimensions: [("result", "joined")], factory: factory)
        reconnectFailed = Counter(label: "gossip_node_reconnects_total", dimensions: [("result", "failed")], factory: factory)
        sendsFailed = Counter(label: "plumtree_sends_failed_total", factory: factory)
        partitionsSuspected = Counter(label: "gossip_node_partitions_suspected_total", factory: factory)
    }

    func reconnects(succeeded: Bool) -> Counter { succeeded ? reconnectSucceeded : reconnectFailed }

    static let descriptors: [MetricDescriptor] = [
        MetricDescriptor(
            name: "gossip_node_reconnects_total", kind: .counter,
            help: "Push/pulls with failed members or seeds that the node retried on its own, by result (joined, failed)",
            labelNames: ["result"]),
        MetricDescriptor(
            name: "plumtree_sends_failed_total", kind: .counter,
            help: "Plumtree messages that could not be handed to the network because the member had left membership"),
        MetricDescriptor(
            name: "gossip_node_partitions_suspected_total", kind: .counter,
            help: "Times at least 2 members, and a third of the others, failed within one suspicion timeout at its longest (each also logged as partition suspected)"),
    ]
}
