import Membership
import GossipNodeCore
import Plumtree
import ProtocolSupport

/// The metric set the observability contract promises operators, as descriptors.
///
/// The protocol cores declare their own descriptors next to the code that records; the node hands those to
/// ``NodeMetrics``. This catalogue is the contract they are checked against (names, kinds, buckets), and the
/// full set a registry can be pre-filled with so that `promtool`, the dashboard and the alert rules can be
/// validated against a node-shaped exposition without running the cores.
public enum MetricContract {
    /// The health status gauge this layer owns: 0 healthy, 1 degraded, 2 unhealthy.
    public static let healthStatus = MetricDescriptor(
        name: "plumtree_health_status", kind: .gauge,
        help: "Node health: 0 healthy, 1 degraded, 2 unhealthy (see /health for the reasons).")

    /// Descriptors owned by the observability layer itself.
    public static let observability: [MetricDescriptor] = [healthStatus]

    /// The Plumtree metric set, exactly as the contract names it (counters, histograms with their `le`
    /// buckets, gauges).
    public static let plumtree: [MetricDescriptor] = [
        counter("plumtree_messages_broadcast_total", "Broadcasts this node originated."),
        counter("plumtree_messages_delivered_total", "Messages from other nodes handed to the application (first copy only)."),
        counter("plumtree_messages_duplicate_total", "Payload copies received for a message already delivered."),
        counter("plumtree_gossip_sent_total", "Gossip (payload) messages sent."),
        counter("plumtree_ihave_sent_total", "IHave messages sent (a batch counts once)."),
        counter("plumtree_graft_sent_total", "Graft messages sent, retries included."),
        counter("plumtree_prune_sent_total", "Prune messages sent."),
        counter("plumtree_peer_promotions_total", "Peers moved from lazy to eager."),
        counter("plumtree_peer_demotions_total", "Peers moved from eager to lazy."),
        counter("plumtree_peer_added_total", "Peers added to the broadcast overlay."),
        counter("plumtree_peer_removed_total", "Peers removed from the broadcast overlay."),
        counter("plumtree_graft_success_total", "Grafted messages that arrived."),
        counter("plumtree_graft_failed_total", "Missing messages given up on after the last Graft retry."),
        counter("plumtree_graft_retries_total", "Graft retries."),
        histogram("plumtree_graft_latency_seconds", "Seconds from the first Graft sent to the message delivered.",
                  [0.01, 0.05, 0.1, 0.5, 1, 5]),
        histogram("plumtree_message_size_bytes", "Payload size in bytes of each delivered or originated message.",
                  [100, 1024, 10240, 65536, 262144]),
        histogram("plumtree_message_hops", "Hops a message travelled when delivered.", [1, 2, 3, 5, 10]),
        histogram("plumtree_ihave_batch_size", "Message ids in each IHave sent.", [1, 4, 8, 16, 32, 64]),
        gauge("plumtree_eager_peers", "Current eager peers."),
        gauge("plumtree_lazy_peers", "Current lazy peers."),
        gauge("plumtree_total_peers", "Current overlay peers (eager + lazy)."),
        gauge("plumtree_cache_size", "Messages held in the message cache."),
        gauge("plumtree_cache_capacity", "The message cache's configured capacity in messages."),
        gauge("plumtree_ihave_queue_size", "Announcements waiting for the next IHave flush."),
        gauge("plumtree_pending_grafts", "Missing messages waiting for a Graft answer."),
    ]

    /// The membership metrics the dashboard and the alert rules rely on (the membership core declares
    /// these and more).
    public static let membership: [MetricDescriptor] = [
        MetricDescriptor(name: "memberlist_members", kind: .gauge, help: "Members known, by state.",
                         labelNames: ["state"]),
        gauge("memberlist_health_score", "Lifeguard awareness score (0 = healthy; higher = this node is slow)."),
        histogram("memberlist_probe_rtt_seconds", "Round-trip time of successful direct probes, in seconds.",
                  [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1]),
        MetricDescriptor(name: "memberlist_probes_total", kind: .counter, help: "Probes by outcome.",
                         labelNames: ["result"]),
        MetricDescriptor(name: "memberlist_packets_dropped_total", kind: .counter,
                         help: "Packets and streams refused, by reason.", labelNames: ["reason"]),
    ]

    /// Label values of the labelled metrics, as the cores use them; used to pre-fill a registry.
    public static let labelValues: [String: [String]] = [
        "plumtree_messages_refused_total": PlumtreeCore.refusalReasons,
        "memberlist_members": MemberState.allCases.map(\.description),
        "memberlist_probes_total": ["ack", "indirect_ack", "nack", "timeout"],
        "memberlist_packets_dropped_total": RefusalReason.allCases.map(\.rawValue),
        "memberlist_packets_sent_total": ["udp", "tcp"],
        "memberlist_bytes_sent_total": ["udp", "tcp"],
        "memberlist_packets_received_total": ["udp", "tcp"],
        "memberlist_bytes_received_total": ["udp", "tcp"],
        "gossip_admin_connections_refused_total": adminConnectionRefusalReasons,
        "gossip_admin_connections_cut_off_total": adminCutOffReasons,
        "gossip_admin_requests_refused_total": adminRequestRefusalReasons,
        "memberlist_inbound_streams_refused_total": inboundStreamRefusalReasons,
        "gossip_node_deliveries_dropped_total": deliveryStreams,
    ]

    /// Everything above.
    public static let all: [MetricDescriptor] = plumtree + membership + observability

    /// What a node's registry declares: the node core's descriptors (its two protocol cores' included, a
    /// superset of the contract's set above), the node's ``limits`` and its ``delivery`` to the
    /// application. ``NodeMetrics`` adds ``observability``.
    public static var nodeDescriptors: [MetricDescriptor] { NodeCore.descriptors + limits + delivery }

    private static func counter(_ name: String, _ help: String) -> MetricDescriptor {
        MetricDescriptor(name: name, kind: .counter, help: help)
    }

    private static func gauge(_ name: String, _ help: String) -> MetricDescriptor {
        MetricDescriptor(name: name, kind: .gauge, help: help)
    }

    private static func histogram(_ name: String, _ help: String, _ buckets: [Double]) -> MetricDescriptor {
        MetricDescriptor(name: name, kind: .histogram, help: help, buckets: buckets)
    }
}
