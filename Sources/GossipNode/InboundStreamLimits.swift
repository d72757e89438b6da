/// What inbound memberlist TCP streams may make a node hold (docs/ARCHITECTURE.md, "Limits").
///
/// memberlist gives every stream up to 20 MiB and caps neither how many are open nor what they hold
/// together; a peer (or anyone who can reach the gossip port) opening many slow streams could then take
/// the node's memory. These caps bound both. The 20 MiB per stream stays: it is memberlist's own limit
/// on a push/pull exchange, and serf sends that much in large clusters.
public struct InboundStreamLimits: Sendable, Equatable {
    /// Inbound streams read at once. One more is closed at accept, unread, and counted
    /// (`memberlist_inbound_streams_refused_total{reason="too_many_streams"}`). A push/pull or a reliable
    /// user message from a refused peer fails on its side and is retried by its protocol.
    public var maxConcurrent: Int
    /// Bytes buffered at once across every inbound stream still being read. A read that would pass it cuts
    /// its stream, which is counted (`{reason="memory_budget"}`); the other streams go on.
    public var memoryBudget: Int

    /// 256 streams and 64 MiB: room for three maximal push/pulls at once, or hundreds of ordinary ones.
    public init(maxConcurrent: Int = 256, memoryBudget: Int = 64 << 20) {
        self.maxConcurrent = maxConcurrent
        self.memoryBudget = memoryBudget
    }
}
