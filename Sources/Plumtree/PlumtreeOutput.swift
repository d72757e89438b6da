/// What the core asks its driver to do; appended to a buffer the driver owns and drains.
public enum PlumtreeOutput: Sendable, Equatable {
    /// Send `bytes` to the node named `to`. `bytes` is a complete ``PlumtreeEnvelope`` (marker, sender,
    /// message), ready to be the body of a memberlist user message. `preferReliable` is set when the
    /// envelope exceeds ``PlumtreeConfig/packetBudget``: use a stream rather than a datagram.
    /// Several sends of one broadcast share one byte buffer.
    case send(to: String, bytes: [UInt8], preferReliable: Bool)
    /// Hand a message to the application. Happens once per message per node, never for the node's own
    /// broadcasts.
    case deliver(DeliveredMessage)
    /// A step of a Graft, reported so the driver can trace and log it; there is nothing to send.
    case graft(GraftEvent)
    /// A message was refused, as the membership core reports its refusals: already counted in
    /// `plumtree_messages_refused_total` under its reason, and nothing changed.
    case refused(PlumtreeDecodeError)
    /// A tree request (``PlumtreeCore/requestTree(timeout:now:into:)``) ended: every member asked answered,
    /// or its deadline passed.
    case tree(id: UInt32, BroadcastTreeView)
}

/// A step in recovering a message by Graft, or in repairing the tree with one.
public enum GraftEvent: Sendable, Equatable {
    /// This node sent a Graft to `peer`. `id` is the message asked for, nil for a Graft that only moves
    /// the tree (tree optimization, or re-attaching a node left without eager peer). `attempt` counts from
    /// 1: above 1 it is a retry.
    case sent(id: MessageID?, to: String, attempt: Int)
    /// `peer` grafted this node; `served` is true when the message asked for was still cached and went back.
    case received(id: MessageID?, from: String, served: Bool)
    /// A message this node grafted arrived from `peer` after `hops` hops, `latency` after its first Graft.
    case succeeded(id: MessageID, from: String, hops: Int, latency: Duration)
    /// This node gave up on a missing message after `attempts` Grafts.
    case failed(id: MessageID, attempts: Int)
}

/// A broadcast as the application receives it.
public struct DeliveredMessage: Sendable, Equatable {
    public var id: MessageID
    /// The node that broadcast it.
    public var origin: String
    /// Hops it travelled to reach this node (1 = straight from the origin): its Plumtree round.
    public var hops: Int
    public var payload: [UInt8]
    /// The trace context the origin attached, if any.
    public var traceContext: [UInt8]?

    public init(id: MessageID, origin: String, hops: Int, payload: [UInt8], traceContext: [UInt8]? = nil) {
        self.id = id
        self.origin = origin
        self.hops = hops
        self.payload = payload
        self.traceContext = traceContext
    }
}

/// Why `broadcast` refused a payload.
public enum PlumtreeBroadcastError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The payload exceeds `max_message_size`.
    case payloadTooLarge(size: Int, limit: Int)
    /// The trace context exceeds `maxTraceContextSize`.
    case traceContextTooLarge(size: Int, limit: Int)
    /// The payload alone is larger than the message cache's byte budget (`message_cache_max_bytes`): it
    /// could not be kept to answer Grafts, so a peer that missed it could never get it.
    case cacheBudgetExceeded(size: Int, limit: Int)
    /// Too much is already waiting in outbound streams (`max_outbound_stream_bytes`,
    /// `max_outbound_streams`): the broadcast would queue behind it without bound, or make the peers refuse
    /// streams. A transient refusal: retry after a while.
    case outboundBacklog(bytes: Int, streams: Int)

    public var description: String {
        switch self {
        case .payloadTooLarge(let size, let limit):
            "payload of \(size) bytes exceeds max_message_size (\(limit) bytes): split it, or raise max_message_size on every node"
        case .traceContextTooLarge(let size, let limit):
            "trace context of \(size) bytes exceeds the limit of \(limit) bytes"
        case .cacheBudgetExceeded(let size, let limit):
            "payload of \(size) bytes exceeds the message cache's byte budget (message_cache_max_bytes, \(limit) bytes): split it, or raise message_cache_max_bytes"
        case .outboundBacklog(let bytes, let streams):
            "\(streams) streams holding \(bytes) bytes are still being sent (max_outbound_streams, max_outbound_stream_bytes): retry after a while, or broadcast less at once"
        }
    }
}

/// A read-only view of the core for health reports and tests.
public struct PlumtreeSnapshot: Sendable, Equatable {
    /// Eager neighbours, in the order they became eager.
    public var eagerPeers: [String]
    /// Lazy neighbours, in the order they became lazy.
    public var lazyPeers: [String]
    /// Members advertising Plumtree that membership reported up.
    public var knownMembers: Int
    public var cacheSize: Int
    public var cacheCapacity: Int
    /// Payload bytes held in the cache, and its byte budget.
    public var cacheBytes: Int
    public var cacheMaxBytes: Int
    /// Missing messages waiting for a Graft answer.
    public var pendingGrafts: Int
    /// Announcements waiting for the next IHave flush.
    public var ihaveQueueSize: Int
    /// Cumulative: grafted messages that arrived. Health computes windowed ratios from differences.
    public var graftSuccesses: UInt64
    /// Cumulative: missing messages given up on after the last retry.
    public var graftFailures: UInt64
    /// Cumulative: Grafts sent, retries included.
    public var graftsSent: UInt64
    /// Cumulative: messages delivered to the application.
    public var delivered: UInt64
    /// Cumulative: payload copies received for messages already delivered.
    public var duplicates: UInt64
    /// Cumulative: Gossip (payload) messages received, duplicates included.
    public var payloadsReceived: UInt64
    /// Cumulative: messages refused (malformed, from self, over a rate limit).
    public var refused: UInt64
    /// Cumulative: messages delivered over a repair path: an anti-entropy pull, a Graft's answer, or the
    /// onward push of either (Gossip with the repair flag).
    public var repairDeliveries: UInt64
    /// Cumulative: cached messages pushed out by the count or byte bound before their TTL.
    public var cacheEvictions: UInt64

    public var totalPeers: Int { eagerPeers.count + lazyPeers.count }
}
