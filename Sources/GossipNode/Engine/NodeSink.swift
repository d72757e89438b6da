import Plumtree

/// Where the loop hands what the public API's consumers read: delivered messages and membership changes.
///
/// Both are `AsyncStream`s buffered up to a bound; a consumer that falls behind loses the oldest entries
/// rather than stalling the loop (the loop never waits for a consumer).
final class NodeSink: Sendable {
    let messages: AsyncStream<GossipMessage>
    let changes: AsyncStream<MembershipChange>
    private let messageContinuation: AsyncStream<GossipMessage>.Continuation
    private let changeContinuation: AsyncStream<MembershipChange>.Continuation
    private let onDeliver: (@Sendable (GossipMessage) -> Void)?

    let tracing: NodeTracing

    init(bufferLimit: Int, tracing: NodeTracing, onDeliver: (@Sendable (GossipMessage) -> Void)? = nil) {
        (messages, messageContinuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(bufferLimit))
        (changes, changeContinuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(bufferLimit))
        self.tracing = tracing
        self.onDeliver = onDeliver
    }

    func deliver(_ message: DeliveredMessage) {
        let gossip = GossipMessage(message)
        tracing.delivered(id: gossip.id, origin: gossip.origin, hops: gossip.hops, size: gossip.payload.count,
                          context: message.traceContext)
        onDeliver?(gossip)
        messageContinuation.yield(gossip)
    }

    func membershipChanged(_ change: MembershipChange) {
        changeContinuation.yield(change)
    }

    func finish() {
        messageContinuation.finish()
        changeContinuation.finish()
    }
}
