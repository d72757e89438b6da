import CoreMetrics
import ProtocolSupport

/// The Plumtree core's metric objects, created once from the driver's factory.
///
/// Histograms are `Recorder(aggregate: true)` recording plain values (seconds, bytes, hops, ids): a
/// Prometheus factory maps aggregating recorders to histograms, and the observability layer gives each the
/// buckets listed in ``descriptors``. `plumtree_health_status` is listed in the contract but is not
/// recorded here: the health model computes it from windowed ratios the core does not keep.
struct PlumtreeMetrics {
    let broadcast: Counter
    let delivered: Counter
    let duplicate: Counter
    let gossipSent: Counter
    let ihaveSent: Counter
    let graftSent: Counter
    let pruneSent: Counter
    let promotions: Counter
    let demotions: Counter
    let peerAdded: Counter
    let peerRemoved: Counter
    let graftSuccess: Counter
    let graftFailed: Counter
    let graftRetries: Counter
    let graftLatency: Recorder
    let messageSize: Recorder
    let messageHops: Recorder
    let ihaveBatchSize: Recorder
    let eagerPeers: Gauge
    let lazyPeers: Gauge
    let totalPeers: Gauge
    let cacheSize: Gauge
    let cacheCapacity: Gauge
    let cacheBytes: Gauge
    let cacheMaxBytes: Gauge
    let cacheEvictedByCount: Counter
    let cacheEvictedByBytes: Counter
    let ihaveQueueSize: Gauge
    let pendingGrafts: Gauge
    /// One counter per refusal reason, in ``PlumtreeCore/refusalReasons`` order.
    let refused: [String: Counter]

    init(factory: MetricsFactory) {
        func counter(_ name: String) -> Counter { Counter(label: name, factory: factory) }
        func histogram(_ name: String) -> Recorder { Recorder(label: name, aggregate: true, factory: factory) }
        func gauge(_ name: String) -> Gauge { Gauge(label: name, factory: factory) }
        broadcast = counter("plumtree_messages_broadcast_total")
        delivered = counter("plumtree_messages_delivered_total")
        duplicate = counter("plumtree_messages_duplicate_total")
        gossipSent = counter("plumtree_gossip_sent_total")
        ihaveSent = counter("plumtree_ihave_sent_total")
        graftSent = counter("plumtree_graft_sent_total")
        pruneSent = counter("plumtree_prune_sent_total")
        promotions = counter("plumtree_peer_promotions_total")
        demotions = counter("plumtree_peer_demotions_total")
        peerAdded = counter("plumtree_peer_added_total")
        peerRemoved = counter("plumtree_peer_removed_total")
        graftSuccess = counter("plumtree_graft_success_total")
        graftFailed = counter("plumtree_graft_failed_total")
        graftRetries = counter("plumtree_graft_retries_total")
        graftLatency = histogram("plumtree_graft_latency_seconds")
        messageSize = histogram("plumtree_message_size_bytes")
        messageHops = histogram("plumtree_message_hops")
        ihaveBatchSize = histogram("plumtree_ihave_batch_size")
        eagerPeers = gauge("plumtree_eager_peers")
        lazyPeers = gauge("plumtree_lazy_peers")
        totalPeers = gauge("plumtree_total_peers")
        cacheSize = gauge("plumtree_cache_size")
        cacheCapacity = gauge("plumtree_cache_capacity")
        cacheBytes = gauge("plumtree_cache_bytes")
        cacheMaxBytes = gauge("plumtree_cache_max_bytes")
        cacheEvictedByCount = Counter(label: "plumtree_cache_evictions_total", dimensions: [("reason", "count")], factory: factory)
        cacheEvictedByBytes = Counter(label: "plumtree_cache_evictions_total", dimensions: [("reason", "bytes")], factory: factory)
        ihaveQueueSize = gauge("plumtree_ihave_queue_size")
        pendingGrafts = gauge("plumtree_pending_grafts")
        var refused: [String: Counter] = [:]
        for reason in PlumtreeCore.refusalReasons {
            refused[reason] = Counter(label: "plumtree_messages_refused_total", dimensions: [("reason", reason)], factory: factory)
        }
        self.refused = refused
    }
}

extension PlumtreeCore {
    /// Label values of `plumtree_messages_refused_total{reason}`: every decode error's
    /// ``PlumtreeDecodeError/reason``, plus `from_self` (a message naming this node as sender) and
    /// `graft_rate_limited` (a peer grafting faster than ``PlumtreeConfig/graftRatePerSecond``).
    public static let refusalReasons: [String] = [
        "not_plumtree", "unsupported_version", "truncated", "invalid_sender", "invalid_origin", "unknown_type",
        "invalid_count", "too_large", "invalid_flags", "invalid_round", "trailing_bytes", "from_self",
        "graft_rate_limited", "invalid_name",
    ]

    /// Every metric the core records: names, types, HELP text and histogram buckets, as the observability
    /// contract lists them (plus `plumtree_messages_refused_total`).
    public static let descriptors: [MetricDescriptor] = [
        .init(name: "plumtree_messages_broadcast_total", kind: .counter, help: "Broadcasts this node originated."),
        .init(name: "plumtree_messages_delivered_total", kind: .counter, help: "Messages from other nodes handed to the application (first copy only)."),
        .init(name: "plumtree_messages_duplicate_total", kind: .counter, help: "Payload copies received for a message already delivered."),
        .init(name: "plumtree_gossip_sent_total", kind: .counter, help: "Gossip (payload) messages sent."),
        .init(name: "plumtree_ihave_sent_total", kind: .counter, help: "IHave messages sent (a batch counts once)."),
        .init(name: "plumtree_graft_sent_total", kind: .counter, help: "Graft messages sent, retries included."),
        .init(name: "plumtree_prune_sent_total", kind: .counter, help: "Prune messages sent."),
        .init(name: "plumtree_peer_promotions_total", kind: .counter, help: "Peers moved from lazy to eager."),
        .init(name: "plumtree_peer_demotions_total", kind: .counter, help: "Peers moved from eager to lazy."),
        .init(name: "plumtree_peer_added_total", kind: .counter, help: "Peers added to the broadcast overlay."),
        .init(name: "plumtree_peer_removed_total", kind: .counter, help: "Peers removed from the broadcast overlay."),
        .init(name: "plumtree_graft_success_total", kind: .counter, help: "Grafted messages that arrived."),
        .init(name: "plumtree_graft_failed_total", kind: .counter, help: "Missing messages given up on after the last Graft retry."),
        .init(name: "plumtree_graft_retries_total", kind: .counter, help: "Graft retries."),
        .init(name: "plumtree_graft_latency_seconds", kind: .histogram, help: "Seconds from the first Graft sent to the message delivered.", buckets: [0.01, 0.05, 0.1, 0.5, 1, 5]),
        .init(name: "plumtree_message_size_bytes", kind: .histogram, help: "Payload size in bytes of each delivered or originated message.", buckets: [100, 1024, 10240, 65536, 262144]),
        .init(name: "plumtree_message_hops", kind: .histogram, help: "Hops a message travelled when delivered.", buckets: [1, 2, 3, 5, 10]),
        .init(name: "plumtree_ihave_batch_size", kind: .histogram, help: "Message ids in each IHave sent.", buckets: [1, 4, 8, 16, 32, 64]),
        .init(name: "plumtree_eager_peers", kind: .gauge, help: "Current eager peers."),
        .init(name: "plumtree_lazy_peers", kind: .gauge, help: "Current lazy peers."),
        .init(name: "plumtree_total_peers", kind: .gauge, help: "Current overlay peers (eager plus lazy)."),
        .init(name: "plumtree_cache_size", kind: .gauge, help: "Messages held in the message cache."),
        .init(name: "plumtree_cache_capacity", kind: .gauge, help: "The message cache's configured capacity."),
        .init(name: "plumtree_cache_bytes", kind: .gauge, help: "Payload bytes held in the message cache."),
        .init(name: "plumtree_cache_max_bytes", kind: .gauge, help: "The message cache's byte budget (message_cache_max_bytes)."),
        .init(name: "plumtree_cache_evictions_total", kind: .counter, help: "Cached messages pushed out before their TTL, by the bound that pushed them (count, bytes).", labelNames: ["reason"]),
        .init(name: "plumtree_ihave_queue_size", kind: .gauge, help: "Announcements waiting for the next IHave flush."),
        .init(name: "plumtree_pending_grafts", kind: .gauge, help: "Missing messages waiting for a Graft answer."),
        .init(name: "plumtree_messages_refused_total", kind: .counter, help: "Plumtree messages refused, by reason (malformed, from self, rate limited).", labelNames: ["reason"]),
    ]
}
