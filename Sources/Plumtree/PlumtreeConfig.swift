/// Tuning of the Plumtree core. Every node of a cluster should run the same values.
///
/// Defaults follow the project's configuration reference; `lan`, `wan` and `largeCluster` are starting
/// points for those deployments.
public struct PlumtreeConfig: Sendable, Equatable {
    /// Neighbours that receive the full payload when the overlay is built (`eager_fanout`, default 3).
    public var eagerFanout: Int = 3
    /// Neighbours that only receive IHave announcements at first (`lazy_fanout`, default 6).
    public var lazyFanout: Int = 6
    /// Queued announcements are flushed at the latest this long after the first one was queued
    /// (`ihave_interval`, default 100 ms).
    public var ihaveInterval: Duration = .milliseconds(100)
    /// A peer's queue is flushed as soon as it holds this many ids (`ihave_batch_size`, default 16). A
    /// single IHave never carries more than ``PlumtreeMessage/maxIDsPerIHave`` (64) ids.
    public var ihaveBatchSize: Int = 16
    /// How long to wait for a payload announced by an IHave before sending a Graft (`graft_timeout`,
    /// default 500 ms). Also the first retry delay; later retries double it up to ``graftBackoffLimit``.
    public var graftTimeout: Duration = .milliseconds(500)
    /// Grafts re-sent (to the next announcer, round robin) after the first before giving up
    /// (`graft_max_retries`, default 5).
    public var graftMaxRetries: Int = 5
    /// The largest delay between two Grafts for one message (default 4 s).
    public var graftBackoffLimit: Duration = .seconds(4)
    /// How long a payload stays in the cache to answer Grafts and anti-entropy (`message_cache_ttl`, 60 s).
    public var messageCacheTTL: Duration = .seconds(60)
    /// Payloads kept at most; the oldest goes first (`message_cache_max_size`, default 10,000).
    public var messageCacheMaxSize: Int = 10_000
    /// Payload bytes (trace contexts included) the cache holds at most; the oldest goes first
    /// (`message_cache_max_bytes`, default 64 MiB). This, not the count, bounds the cache's memory: 10,000
    /// payloads of 64 KiB would be 640 MB. A broadcast whose payload alone is larger is refused.
    public var messageCacheMaxBytes: Int = 64 * 1024 * 1024
    /// Bytes of Plumtree messages sent over streams (payloads larger than ``packetBudget``) that may wait,
    /// sent but not yet read by their peer, before the node refuses new broadcasts
    /// (`max_outbound_stream_bytes`, default 16 MiB). Enforced by the node core, which sees the streams
    /// open and complete: a broadcast that would go out while this much is still in flight is refused with
    /// ``PlumtreeBroadcastError/outboundBacklog(bytes:streams:)`` instead of queueing without bound.
    public var maxOutboundStreamBytes: Int = 16 * 1024 * 1024
    /// Plumtree streams that may be in flight at once before new broadcasts are refused
    /// (`max_outbound_streams`, default 128). Half of the 256 inbound streams a node of this package
    /// accepts at once (`membership.max_inbound_streams`), so one sender alone never makes its peer refuse
    /// streams (a refused stream is a message lost until a Graft or anti-entropy repairs it).
    public var maxOutboundStreams: Int = 128
    /// How long a delivered id is remembered so that a late copy is not delivered again (default 180 s). The
    /// core remembers ids for at least `messageCacheTTL` + 60 s whatever this says: anti-entropy offers a
    /// message for `messageCacheTTL` after it first entered any cache, and a node that forgot the id before
    /// that would pull it and deliver it a second time.
    public var seenTTL: Duration = .seconds(180)
    /// Delivered ids remembered at most (default 50,000).
    public var seenMaxSize: Int = 50_000
    /// An IHave announcing a path this many hops shorter than the one the payload took makes the core graft
    /// the announcer and prune the slower parent (`optimization_threshold`, default 3).
    public var optimizationThreshold: Int = 3
    /// After one optimization swap the node waits this long before the next (default 1 s).
    public var optimizationCooldown: Duration = .seconds(1)
    /// Messages on which the same announcer must beat the same parent by ``optimizationThreshold`` hops
    /// before the swap is made (`optimization_confirmations`, default 3; 1 is the paper's rule). A message
    /// on which that announcer's path is not shorter than the parent's at all starts the count again, and
    /// a count not extended within ``messageCacheTTL`` is forgotten. With broadcasts from many origins a
    /// path that is short for one origin is long for the next, so a single message swaps parents back and
    /// forth without shortening the tree.
    public var optimizationConfirmations: Int = 3
    /// A duplicate does not prune its link at once: the decision waits this long, and the link is pruned
    /// only if no message with a greater id was first heard of from this long before the duplicate until
    /// the decision (default 200 ms; zero prunes at once, as in the paper). Broadcasts that overlap in
    /// flight would otherwise each prune a different link of one cycle and split the tree. It must exceed
    /// the time a broadcast takes to cross the cluster: 50 ms did nothing where that time was 50 ms.
    /// The tree optimization also waits until no other message was heard of for this long.
    public var pruneSettleDelay: Duration = .milliseconds(200)
    /// Whether the tree optimization runs (default true).
    public var treeOptimization: Bool = true
    /// Whether duplicates prune their sender (default true). False turns Plumtree into flooding over the
    /// overlay: every neighbour is eager and stays so. Only useful as a baseline for measurements.
    public var pruning: Bool = true
    /// The largest payload `broadcast` accepts and a Gossip may carry (`max_message_size`, 64 KiB).
    public var maxMessageSize: Int = 64 * 1024
    /// The largest trace context a Gossip may carry (default 512 bytes).
    public var maxTraceContextSize: Int = 512
    /// Grafts served per peer per second once the burst is used up (default 100).
    public var graftRatePerSecond: Double = 100
    /// Grafts a peer may send in a burst before the rate applies (default 200).
    public var graftBurst: Double = 200
    /// How often the core offers the ids of its recent messages to a random member while anti-entropy
    /// finds work (default 1 s). The interval the node starts with and comes back to.
    public var antiEntropyInterval: Duration = .seconds(1)
    /// The longest anti-entropy interval (default 16 s, 16 x ``antiEntropyInterval``; `lan` 8 s, `wan` 32 s,
    /// `largeCluster` 16 s). After each digest that nothing came of (no Pull came back, this node pulled
    /// nothing) the interval doubles up to this; a Pull either way or a membership change brings it back
    /// to ``antiEntropyInterval`` at once. A value at or below ``antiEntropyInterval`` keeps the interval
    /// fixed. The cap bounds how long a message lost to everything but anti-entropy stays missing.
    public var antiEntropyMaxInterval: Duration = .seconds(16)
    /// Anti-entropy only offers messages received at least this long ago (default 2 s): younger ones may
    /// still be on their way along the tree, and pulling them early would race the tree's own copy.
    public var antiEntropyMinAge: Duration = .seconds(2)
    /// Bytes of ids one digest carries at most (default 1,024, so 64 ids: one datagram).
    public var antiEntropyDigestBytes: Int = 1_024
    /// Payload bytes one peer sends at most in answer to one pull (default 256 KiB).
    public var antiEntropyPullBytes: Int = 256 * 1024
    /// Sends whose encoded envelope exceeds this many bytes are marked `preferReliable`, so that the driver
    /// uses a stream instead of a datagram (default 1,300).
    public var packetBudget: Int = 1_300
    /// The overlay never holds more neighbours than this; extra Neighbor requests are refused
    /// (default 0 = `2 * eagerFanout + lazyFanout`: the target plus room for `eagerFanout` incoming links,
    /// so that nodes that picked us are accepted while degrees stay close to the target).
    public var maxNeighbours: Int = 0
    /// The Plumtree protocol versions this node speaks (within ``PlumtreeVersions/known``), announced in its
    /// `plumtree` tag. A peer is linked only if the two ranges meet, and spoken to in the highest version
    /// both speak. A rolling upgrade widens the range first (`1...2` on every node), then narrows it
    /// (`2...2`), so any two nodes running at once share a version. This release speaks both 1 and 2, so
    /// it talks to nodes that predate negotiation (which announce `1`) and draws the tree with its own kind.
    public var protocolVersions: ClosedRange<UInt8> = 1...2

    /// The defaults listed on each property.
    public init() {}

    /// One data centre: short timers, fast repair.
    public static var lan: PlumtreeConfig {
        var config = PlumtreeConfig()
        config.ihaveInterval = .milliseconds(50)
        config.graftTimeout = .milliseconds(200)
        config.graftBackoffLimit = .seconds(2)
        config.antiEntropyInterval = .milliseconds(500)
        config.antiEntropyMaxInterval = .seconds(8)
        // A broadcast crosses a data centre in a few milliseconds; a shorter settling keeps a fresh
        // cluster's tree converging as fast as the paper's immediate prunes would.
        config.pruneSettleDelay = .milliseconds(50)
        return config
    }

    /// Links across regions: round trips of 100 ms and more, so timers wait longer.
    public static var wan: PlumtreeConfig {
        var config = PlumtreeConfig()
        config.ihaveInterval = .milliseconds(200)
        config.graftTimeout = .seconds(1)
        config.graftBackoffLimit = .seconds(8)
        config.antiEntropyInterval = .seconds(2)
        config.antiEntropyMaxInterval = .seconds(32)
        config.optimizationThreshold = 4
        // Crossing the cluster takes several round trips of 100 ms and more; settling must outlast it.
        config.pruneSettleDelay = .seconds(1)
        return config
    }

    /// Hundreds to thousands of nodes: a wider lazy set keeps the overlay connected, bigger batches keep
    /// announcement traffic down, a bigger cache covers the longer dissemination.
    public static var largeCluster: PlumtreeConfig {
        var config = PlumtreeConfig()
        config.eagerFanout = 4
        config.lazyFanout = 8
        config.ihaveBatchSize = 32
        config.ihaveInterval = .milliseconds(150)
        config.messageCacheMaxSize = 50_000
        config.seenMaxSize = 200_000
        config.optimizationThreshold = 4
        return config
    }

    /// How long the seen-set remembers an id: `seenTTL`, but never less than the cache TTL plus a margin for
    /// the spread between nodes' first receipts (a tree crosses a cluster in well under a second; Grafts add
    /// seconds).
    var effectiveSeenTTL: Duration { max(seenTTL, messageCacheTTL + .seconds(60)) }

    /// The overlay's target size: eager plus lazy fanout.
    var targetNeighbours: Int { max(1, eagerFanout + lazyFanout) }

    /// The overlay's hard cap.
    var neighbourCap: Int { maxNeighbours > 0 ? maxNeighbours : targetNeighbours + max(1, eagerFanout) }

    /// Ids per digest that fit the byte budget (at least 1, at most the wire limit).
    var digestIDs: Int {
        min(PlumtreeMessage.maxIDsPerDigest, max(1, (antiEntropyDigestBytes - 3) / MessageID.byteCount))
    }

    /// The anti-entropy interval's cap, never below the base interval.
    var antiEntropyIntervalCap: Duration { max(antiEntropyInterval, antiEntropyMaxInterval) }

    /// Ids per IHave: the batch size clamped to the wire limit.
    var ihaveIDs: Int { min(PlumtreeMessage.maxIDsPerIHave, max(1, ihaveBatchSize)) }
}
