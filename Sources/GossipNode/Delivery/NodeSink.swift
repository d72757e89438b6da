import CoreMetrics
import GossipObservability
import Plumtree

/// Where the loop hands what the public API's consumers read: delivered messages and membership changes.
///
/// Each goes through a ``DeliveryBuffer``: the loop never waits for a consumer. In
/// ``DeliveryMode/dropOldest`` a consumer that falls more than the limit behind loses the oldest entries,
/// and every loss is counted (`gossip_node_deliveries_dropped_total{stream}`), reported in the stream
/// (``Delivery/lagged(missed:)``) and shown by health (`consumer_lagging`).
final class NodeSink: Sendable {
    /// The `stream` label values of the drop counter, and the names health reports a lagging stream by.
    static let messagesStream = "messages"
    static let membershipStream = "membership"

    let messageBuffer: DeliveryBuffer<GossipMessage>
    let changeBuffer: DeliveryBuffer<MembershipChange>
    /// Built once: every stream reads the same buffer, so the node has one consumer per buffer.
    let messages: AsyncStream<GossipMessage>
    let deliveries: AsyncStream<Delivery<GossipMessage>>
    let changes: AsyncStream<MembershipChange>
    let changeEvents: AsyncStream<Delivery<MembershipChange>>
    private let messagesDropped: Counter
    private let changesDropped: Counter
    private let onDeliver: (@Sendable (GossipMessage) -> Void)?
    /// ``DeliveryMode/discard``: no consumer, so nothing is buffered.
    private let discards: Bool

    let tracing: NodeTracing

    init(bufferLimit: Int, mode: DeliveryMode, metrics: any MetricsFactory, tracing: NodeTracing,
         onDeliver: (@Sendable (GossipMessage) -> Void)? = nil) {
        messageBuffer = DeliveryBuffer(limit: bufferLimit, mode: mode)
        changeBuffer = DeliveryBuffer(limit: bufferLimit, mode: mode)
        messages = messageBuffer.elements()
        deliveries = messageBuffer.stream()
        changes = changeBuffer.elements()
        changeEvents = changeBuffer.stream()
        // Created at start, so both series read 0 on /metrics before anything was dropped.
        let name = MetricContract.deliveriesDropped.name
        messagesDropped = Counter(label: name, dimensions: [("stream", Self.messagesStream)], factory: metrics)
        changesDropped = Counter(label: name, dimensions: [("stream", Self.membershipStream)], factory: metrics)
        self.tracing = tracing
        self.onDeliver = onDeliver
        discards = mode == .discard
        // Streams that will never yield end at once, so a consumer that attaches anyway does not wait forever.
        if discards { finish() }
    }

    func deliver(_ message: DeliveredMessage) {
        let gossip = GossipMessage(message)
        tracing.delivered(id: gossip.id, origin: gossip.origin, hops: gossip.hops, size: gossip.payload.count,
                          context: message.traceContext)
        onDeliver?(gossip)
        guard !discards else { return }
        let dropped = messageBuffer.push(gossip)
        if dropped > 0 { messagesDropped.increment(by: Int64(dropped)) }
    }

    func membershipChanged(_ change: MembershipChange) {
        guard !discards else { return }
        let dropped = changeBuffer.push(change)
        if dropped > 0 { changesDropped.increment(by: Int64(dropped)) }
    }

    /// The streams whose consumer is behind now. `droppedBefore` holds the drop totals seen at the last
    /// health tick: a stream that dropped since then is lagging even if its consumer just caught up.
    func laggingStreams(droppedBefore: [String: UInt64]) -> [String] {
        guard !discards else { return [] }
        var lagging: [String] = []
        if Self.isLagging(messageBuffer.status, limit: messageBuffer.limit, before: droppedBefore[Self.messagesStream]) {
            lagging.append(Self.messagesStream)
        }
        if Self.isLagging(changeBuffer.status, limit: changeBuffer.limit, before: droppedBefore[Self.membershipStream]) {
            lagging.append(Self.membershipStream)
        }
        return lagging
    }

    /// Cumulative drops per stream, for ``laggingStreams(droppedBefore:)``.
    var droppedTotals: [String: UInt64] {
        [Self.messagesStream: messageBuffer.status.dropped, Self.membershipStream: changeBuffer.status.dropped]
    }

    /// Behind: the buffer is at its limit (the next arrival drops one, or in unbounded mode memory grows
    /// past what the application planned for), a loss was not yet read by the consumer, or one happened
    /// since the last look.
    static func isLagging(_ status: DeliveryBufferStatus, limit: Int, before: UInt64?) -> Bool {
        status.buffered >= limit || status.unreported > 0 || status.dropped > (before ?? 0)
    }

    func finish() {
        messageBuffer.finish()
        changeBuffer.finish()
    }
}
