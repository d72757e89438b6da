@testable import GossipNodeCore
import MemberlistWire
import Membership
import Plumtree
import ProtocolSupport
import Testing
import MetricsTestSupport

/// A broadcast that the node cannot send because of its own limits is refused at the call, and a send that
/// fails after acceptance is counted: nothing accepted is lost without a trace.
@Suite("NodeCore: broadcasts refused under a stream backlog; failed sends counted")
struct BroadcastBackpressureTests {
    static let me = SocketAddress(ipv4: 10, 0, 0, 1, port: 7946)
    static let peer = SocketAddress(ipv4: 10, 0, 0, 2, port: 7946)

    /// A core with one Plumtree peer in its overlay (eager: the only neighbour).
    static func makeCore(_ configure: (inout PlumtreeConfig) -> Void, metrics: RecordingMetrics) throws -> NodeCore {
        var plumtree = PlumtreeConfig.lan
        configure(&plumtree)
        // Uncompressed, so that a stream's bytes are its payload's (LZW would shrink these repetitive payloads).
        var membership = MembershipConfig.lan
        membership.compression = false
        let config = NodeCoreConfig(name: "me", membershipSource: .swim(advertise: me), membership: membership,
                                    plumtree: plumtree, checkInvariants: true)
        var core = try NodeCore(config: config, seed: 42, metrics: metrics, now: .zero)
        var out: [NodeOutput] = []
        let alive = Alive(incarnation: 1, node: "peer", addr: [10, 0, 0, 2], port: 7946,
                          meta: try SerfTags.encode([PlumtreeTag.key: PlumtreeTag.value]), vsn: .serfAgent)
        core.receiveDatagram(alive.encoded(), from: peer, now: .zero, into: &out)
        var now = Instant.zero
        while let next = core.nextDeadline, next <= Instant.zero + .milliseconds(10) {
            now = max(now, next)
            core.handleTimeout(now: now, into: &out)
        }
        return core
    }

    static func streams(_ out: [NodeOutput]) -> [StreamRequest] {
        out.compactMap { if case .openStream(let request) = $0, !request.expectsReply { request } else { nil } }
    }

    @Test("at max_outbound_streams a broadcast is refused with a typed error until a stream completes")
    func streamCountBound() throws {
        let metrics = RecordingMetrics()
        var core = try Self.makeCore({ $0.maxOutboundStreams = 3 }, metrics: metrics)
        #expect(core.plumtreeSnapshot.eagerPeers == ["peer"])
        var out: [NodeOutput] = []
        let payload = [UInt8](repeating: 9, count: 10_000)
        for _ in 0..<3 { _ = try core.broadcast(payload, now: .zero + .seconds(1), into: &out) }
        let opened = Self.streams(out)
        #expect(opened.count == 3, "each large broadcast goes to the peer over a stream")
        #expect(metrics.value("plumtree_outbound_streams") == 3)
        let bytes = opened.reduce(0) { $0 + $1.request.count }
        #expect(metrics.value("plumtree_outbound_stream_bytes") == Double(bytes))

        out.removeAll()
        #expect(throws: PlumtreeBroadcastError.outboundBacklog(bytes: bytes, streams: 3)) {
            try core.broadcast(payload, now: .zero + .seconds(1), into: &out)
        }
        #expect(Self.streams(out).isEmpty, "nothing was sent for the refused broadcast")
        #expect(metrics.value("plumtree_broadcasts_refused_total", [("reason", "outbound_backlog")]) == 1)
        #expect(metrics.value("plumtree_messages_broadcast_total") == 3)

        // The peer read one stream and closed: room for one more.
        core.streamCompleted(opened[0].id, result: .reply([]), now: .zero + .seconds(2), into: &out)
        #expect(metrics.value("plumtree_outbound_streams") == 2)
        _ = try core.broadcast(payload, now: .zero + .seconds(2), into: &out)
        #expect(metrics.value("plumtree_sends_failed_total", [("reason", "stream_timed_out")]) == 0)
    }

    @Test("past max_outbound_stream_bytes large broadcasts are refused; small ones that fit a datagram still go")
    func streamByteBound() throws {
        let metrics = RecordingMetrics()
        var core = try Self.makeCore({ $0.maxOutboundStreamBytes = 25_000 }, metrics: metrics)
        var out: [NodeOutput] = []
        let payload = [UInt8](repeating: 9, count: 10_000)
        for _ in 0..<2 { _ = try core.broadcast(payload, now: .zero + .seconds(1), into: &out) }
        #expect(throws: PlumtreeBroadcastError.self) { try core.broadcast(payload, now: .zero + .seconds(1), into: &out) }
        #expect(metrics.value("plumtree_broadcasts_refused_total", [("reason", "outbound_backlog")]) == 1)
        _ = try core.broadcast([1, 2, 3], now: .zero + .seconds(1), into: &out)
        #expect(metrics.value("plumtree_messages_broadcast_total") == 3)
    }

    @Test("a stream that fails after acceptance is counted by reason")
    func failedStreamsAreCounted() throws {
        let metrics = RecordingMetrics()
        var core = try Self.makeCore({ _ in }, metrics: metrics)
        var out: [NodeOutput] = []
        for _ in 0..<3 { _ = try core.broadcast([UInt8](repeating: 1, count: 5_000), now: .zero + .seconds(1), into: &out) }
        let opened = Self.streams(out)
        #expect(opened.count == 3)
        core.streamCompleted(opened[0].id, result: .failed(.timedOut), now: .zero + .seconds(2), into: &out)
        core.streamCompleted(opened[1].id, result: .failed(.refused), now: .zero + .seconds(2), into: &out)
        core.streamCompleted(opened[2].id, result: .reply([]), now: .zero + .seconds(2), into: &out)
        #expect(metrics.value("plumtree_sends_failed_total", [("reason", "stream_timed_out")]) == 1)
        #expect(metrics.value("plumtree_sends_failed_total", [("reason", "stream_refused")]) == 1)
        #expect(metrics.value("plumtree_sends_failed_total", [("reason", "stream_closed")]) == 0)
        #expect(metrics.value("plumtree_outbound_streams") == 0)
        #expect(metrics.value("plumtree_outbound_stream_bytes") == 0)
    }
}
