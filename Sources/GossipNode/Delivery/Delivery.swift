/// One entry of a node's delivery stream: an element, or word that the consumer fell behind and some were
/// dropped just before the next one.
///
/// Modelled on tokio's `broadcast::error::RecvError::Lagged(n)` and iroh-gossip's `Event::Lagged`: the
/// gap is reported where it is, in the stream, so a consumer that must not miss anything learns it at the
/// place it happened (and can, say, resynchronise from another source) instead of through a metric it
/// may not read. A new enum rather than a changed element type keeps ``GossipNode/messages`` as it was.
public enum Delivery<Element: Sendable>: Sendable {
    /// The next element, in delivery order.
    case delivered(Element)
    /// `missed` elements were dropped here, the oldest the buffer held, because the consumer fell more
    /// than the buffer's limit behind (only in ``DeliveryMode/dropOldest``). The next `.delivered` comes
    /// after the gap.
    case lagged(missed: Int)
}

extension Delivery: Equatable where Element: Equatable {}

/// What the node does when the application reads its deliveries slower than they arrive. Either way the
/// event loop never waits for the application.
public enum DeliveryMode: String, Sendable, CaseIterable {
    /// Keep at most ``GossipNodeConfiguration/deliveryBufferLimit`` entries per stream; at the limit the
    /// oldest is dropped, counted in `gossip_node_deliveries_dropped_total{stream}`, and reported to the
    /// consumer as ``Delivery/lagged(missed:)``. Memory is bounded by the limit.
    case dropOldest = "drop_oldest"
    /// Never drop: every entry waits until the consumer reads it. Memory grows without bound while the
    /// consumer is behind: each waiting message holds its payload (up to `plumtree.max_message_size`) plus
    /// about 200 bytes, so 100,000 unread 1 KiB messages hold about 120 MB. The limit then only marks the
    /// consumer as lagging in the health report.
    case unbounded
    /// The application reads neither stream (an agent that only relays, a service that uses the node for
    /// membership alone): nothing is buffered, nothing counts as dropped, and health never reports a
    /// lagging consumer. Deliveries still count in `plumtree_messages_delivered_total` and are traced.
    case discard
}
