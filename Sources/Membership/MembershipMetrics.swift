import CoreMetrics
import ProtocolSupport

/// The membership core's metric objects, built once from the driver's factory.
struct MembershipMetrics: Sendable {
    /// How a probe ended: the `result` label of `memberlist_probes_total`.
    enum ProbeResult: String, CaseIterable {
        /// A direct ack arrived before the probe timeout.
        case ack
        /// The direct ping failed, an indirect ack or the TCP fallback answered.
        case indirectAck = "indirect_ack"
        /// A nack from a member we asked to probe indirectly.
        case nack
        /// Nothing answered: the member is now suspect.
        case timeout
    }

    enum Transport: String, CaseIterable { case udp, tcp }

    static let rttBuckets: [Double] = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1]

    /// Every metric the core records, for HELP text and buckets in the exposition.
    static let descriptors: [MetricDescriptor] = [
        MetricDescriptor(name: "memberlist_members", kind: .gauge, help: "Members known, by state.",
                         labelNames: ["state"]),
        MetricDescriptor(name: "memberlist_health_score", kind: .gauge,
                         help: "Lifeguard awareness score (0 = healthy; higher = this node is slow)."),
        MetricDescriptor(name: "memberlist_probe_rtt_seconds", kind: .histogram,
                         help: "Round-trip time of successful direct probes, in seconds.", buckets: rttBuckets),
        MetricDescriptor(name: "memberlist_probes_total", kind: .counter, help: "Probes by outcome.",
                         labelNames: ["result"]),
        MetricDescriptor(name: "memberlist_packets_sent_total", kind: .counter,
                         help: "UDP packets and TCP streams sent, by transport.", labelNames: ["transport"]),
        MetricDescriptor(name: "memberlist_bytes_sent_total", kind: .counter,
                         help: "Bytes sent in UDP packets and TCP streams, by transport.", labelNames: ["transport"]),
        MetricDescriptor(name: "memberlist_packets_received_total", kind: .counter,
                         help: "UDP packets and TCP streams received, by transport.", labelNames: ["transport"]),
        MetricDescriptor(name: "memberlist_bytes_received_total", kind: .counter,
                         help: "Bytes received in UDP packets and TCP streams, by transport.",
                         labelNames: ["transport"]),
        MetricDescriptor(name: "memberlist_packets_dropped_total", kind: .counter,
                         help: "Packets and streams refused, by reason.", labelNames: ["reason"]),
    ]

    private let members: [MemberState: Meter]
    private let healthScore: Meter
    private let probeRTT: Recorder
    private let probes: [ProbeResult: Counter]
    private let packetsSent: [Transport: Counter]
    private let bytesSent: [Transport: Counter]
    private let packetsReceived: [Transport: Counter]
    private let bytesReceived: [Transport: Counter]
    private let dropped: [RefusalReason: Counter]

    init(factory: any MetricsFactory) {
        func counters<Key: RawRepresentable & CaseIterable & Hashable>(
            _ name: String, _ label: String, _: Key.Type
        ) -> [Key: Counter] where Key.RawValue == String {
            var result: [Key: Counter] = [:]
            for key in Key.allCases {
                result[key] = Counter(label: name, dimensions: [(label, key.rawValue)], factory: factory)
            }
            return result
        }
        var members: [MemberState: Meter] = [:]
        for state in MemberState.allCases {
            members[state] = Meter(label: "memberlist_members", dimensions: [("state", state.description)],
                                   factory: factory)
        }
        self.members = members
        healthScore = Meter(label: "memberlist_health_score", factory: factory)
        probeRTT = Recorder(label: "memberlist_probe_rtt_seconds", aggregate: true, factory: factory)
        probes = counters("memberlist_probes_total", "result", ProbeResult.self)
        packetsSent = counters("memberlist_packets_sent_total", "transport", Transport.self)
        bytesSent = counters("memberlist_bytes_sent_total", "transport", Transport.self)
        packetsReceived = counters("memberlist_packets_received_total", "transport", Transport.self)
        bytesReceived = counters("memberlist_bytes_received_total", "transport", Transport.self)
        dropped = counters("memberlist_packets_dropped_total", "reason", RefusalReason.self)
        healthScore.set(0)
    }

    func setMembers(_ counts: MemberCounts) {
        for state in MemberState.allCases { members[state]?.set(Double(counts[state])) }
    }

    func setHealthScore(_ score: Int) { healthScore.set(Double(score)) }

    func probe(_ result: ProbeResult) { probes[result]?.increment() }

    func probeRTT(_ rtt: Duration) { probeRTT.record(rtt.seconds) }

    func sent(_ transport: Transport, bytes: Int) {
        packetsSent[transport]?.increment()
        bytesSent[transport]?.increment(by: bytes)
    }

    func received(_ transport: Transport, bytes: Int) {
        packetsReceived[transport]?.increment()
        bytesReceived[transport]?.increment(by: bytes)
    }

    func dropped(_ reason: RefusalReason) { dropped[reason]?.increment() }
}
