import ProtocolSupport

/// The node's hand-off to the application: what the loop could not hand over because the consumer was
/// behind. Without it a slow consumer would lose messages that `plumtree_messages_delivered_total` still
/// counts as delivered.
extension MetricContract {
    public static let deliveriesDropped = MetricDescriptor(
        name: "gossip_node_deliveries_dropped_total", kind: .counter,
        help: "Entries dropped before the application read them because its consumer fell more than the delivery buffer limit behind, by stream (messages, membership); the consumer sees each gap as a lagged event.",
        labelNames: ["stream"])

    /// Everything above: recorded by the driver that hands entries to the application, not by a core.
    public static let delivery: [MetricDescriptor] = [deliveriesDropped]

    /// The `stream` label values of ``deliveriesDropped``.
    public static let deliveryStreams = ["messages", "membership"]
}
