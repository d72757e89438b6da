import CoreMetrics
@testable import GossipNodeCore
import MemberlistWire
import Membership
import Plumtree
import ProtocolSupport
import Testing

@Suite("NodeCore: the wiring between membership and Plumtree, without a network")
struct NodeCoreTests {
    static let me = SocketAddress(ipv4: 10, 0, 0, 1, port: 7946)

    static func makeCore(reconnect: ReconnectConfig = ReconnectConfig()) throws -> NodeCore {
        let config = NodeCoreConfig(name: "me", membershipSource: .swim(advertise: me), reconnect: reconnect,
                                    checkInvariants: true)
        return try NodeCore(config: config, seed: 42, metrics: NOOPMetricsHandler.instance, now: .zero)
    }

    static func alive(_ name: String, _ last: UInt8, tags: [String: String], incarnation: UInt32 = 1) -> [UInt8] {
        let meta = try! SerfTags.encode(tags)
        return Alive(incarnation: incarnation, node: name, addr: [10, 0, 0, last], port: 7946, meta: meta, vsn: .serfAgent)
            .encoded()
    }

    /// Runs the core's timers up to `until`, collecting every output.
    static func run(_ core: inout NodeCore, from: Instant, until: Instant) -> [NodeOutput] {
        var out: [NodeOutput] = []
        var now = from
        while let next = core.nextDeadline, next <= until {
            now = max(now, next)
            core.handleTimeout(now: now, into: &out)
        }
        return out
    }

    @Test("only members whose plumtree tag is present become overlay peers; a tag removed drops the peer")
    func tagCheck() throws {
        var core = try Self.makeCore()
        var out: [NodeOutput] = []
        core.receiveDatagram(Self.alive("serf-agent", 2, tags: ["role": "web"]), from: SocketAddress(ipv4: 10, 0, 0, 2, port: 7946),
                             now: .zero, into: &out)
        core.receiveDatagram(Self.alive("plumtree-node", 3, tags: [PlumtreeTag.key: PlumtreeTag.value]),
                             from: SocketAddress(ipv4: 10, 0, 0, 3, port: 7946), now: .zero, into: &out)
        #expect(out.contains { if case .member(.joined(let m)) = $0 { m.name == "serf-agent" } else { false } })
        _ = Self.run(&core, from: .zero, until: Instant.zero + .milliseconds(10))
        let snapshot = core.plumtreeSnapshot
        #expect(snapshot.eagerPeers + snapshot.lazyPeers == ["plumtree-node"])

        // The Plumtree node drops its tag: it is no longer a peer.
        core.receiveDatagram(Self.alive("plumtree-node", 3, tags: ["role": "web"], incarnation: 2),
                             from: SocketAddress(ipv4: 10, 0, 0, 3, port: 7946), now: .zero + .milliseconds(20), into: &out)
        #expect(out.contains { if case .member(.updated(let m)) = $0 { m.name == "plumtree-node" } else { false } })
        #expect(core.plumtreeSnapshot.totalPeers == 0)
    }

    @Test("a member that fails is tried again with a push/pull; one that leaves is not")
    func failedMembersAreRetried() throws {
        var core = try Self.makeCore()
        var out: [NodeOutput] = []
        let peer = SocketAddress(ipv4: 10, 0, 0, 2, port: 7946)
        core.receiveDatagram(Self.alive("peer", 2, tags: [PlumtreeTag.key: PlumtreeTag.value]), from: peer, now: .zero, into: &out)
        core.receiveDatagram(Dead(incarnation: 1, node: "peer", from: "other").encoded(), from: peer,
                             now: .zero + .seconds(1), into: &out)
        #expect(out.contains { if case .member(.failed) = $0 { true } else { false } })
        #expect(core.reconnectTargets == ["peer"])
        let later = Self.run(&core, from: .zero + .seconds(1), until: .zero + .seconds(4))
        #expect(later.contains { $0 == .reconnect(.attempted(member: "peer", target: .address(peer))) })
        let pushPulls = later.compactMap { output -> StreamRequest? in
            if case .openStream(let request) = output, request.to == peer, request.expectsReply { request } else { nil }
        }
        #expect(!pushPulls.isEmpty)

        // The push/pull fails: reported, not surfaced as a join of the application's.
        var failedOut: [NodeOutput] = []
        core.streamCompleted(pushPulls[0].id, result: .failed(.refused), now: .zero + .seconds(4), into: &failedOut)
        #expect(failedOut.contains { $0 == .reconnect(.failed(member: "peer", target: .address(peer), .unreachable(.refused))) })
        #expect(!failedOut.contains { if case .joinCompleted = $0 { true } else { false } })

        // The member announces a graceful leave: no more attempts.
        var leftOut: [NodeOutput] = []
        core.receiveDatagram(Self.alive("peer", 2, tags: [PlumtreeTag.key: PlumtreeTag.value], incarnation: 5), from: peer,
                             now: .zero + .seconds(5), into: &leftOut)
        #expect(core.reconnectTargets.isEmpty)
        core.receiveDatagram(Dead(incarnation: 5, node: "peer", from: "peer").encoded(), from: peer, now: .zero + .seconds(6),
                             into: &leftOut)
        #expect(leftOut.contains { if case .member(.left) = $0 { true } else { false } })
        #expect(core.reconnectTargets.isEmpty)
    }

    @Test("after a leave, a failed member on the reconnect list no longer wakes the node")
    func noWakeUpsAfterLeave() throws {
        var core = try Self.makeCore()
        var out: [NodeOutput] = []
        let peer = SocketAddress(ipv4: 10, 0, 0, 2, port: 7946)
        core.receiveDatagram(Self.alive("peer", 2, tags: [PlumtreeTag.key: PlumtreeTag.value]), from: peer, now: .zero, into: &out)
        core.receiveDatagram(Dead(incarnation: 1, node: "peer", from: "other").encoded(), from: peer, now: .zero, into: &out)
        core.leave(now: .zero + .seconds(1), into: &out)
        // A deadline that handleTimeout does not move would hold the clock still here.
        var now = Instant.zero + .seconds(1)
        var calls = 0
        while let next = core.nextDeadline, now < Instant.zero + .seconds(120), calls < 10_000 {
            now = max(now, next)
            core.handleTimeout(now: now, into: &out)
            calls += 1
        }
        #expect(now >= Instant.zero + .seconds(120), "the clock stuck at \(now) after \(calls) timer calls")
        #expect(!out.contains { if case .reconnect(.attempted) = $0 { true } else { false } })
    }

    @Test("an inbound stream is answered exactly once, a refusal reported with its label")
    func streamsAndRefusals() throws {
        var core = try Self.makeCore()
        var out: [NodeOutput] = []
        let peer = SocketAddress(ipv4: 10, 0, 0, 2, port: 7946)
        core.receiveStream(StreamMessage.ping(Ping(seqNo: 5, node: "me")).encoded(), from: peer,
                           stream: InboundStreamID(rawValue: 7), now: .zero, into: &out)
        let answers = out.compactMap { output -> [UInt8]?? in
            if case .answerStream(let id, let reply) = output, id.rawValue == 7 { reply } else { nil }
        }
        #expect(answers.count == 1)
        #expect(answers.first??.isEmpty == false)

        out.removeAll()
        core.receiveStream([0xFF, 0x00], from: peer, stream: InboundStreamID(rawValue: 8), now: .zero, into: &out)
        #expect(out.filter { if case .answerStream = $0 { true } else { false } }.count == 1)
        #expect(out.contains { if case .refused(let r) = $0 { r.reason == "unknown_type" } else { false } })

        out.removeAll()
        // A Plumtree envelope that does not decode, as a memberlist user message.
        core.receiveDatagram([MessageType.user.rawValue, PlumtreeEnvelope.marker, 0xEE], from: peer, now: .zero, into: &out)
        #expect(out.contains { if case .refused(.plumtree) = $0 { true } else { false } })
    }

    @Test("tags too large are refused with their real size")
    func tagsTooLarge() {
        let tags = ["big": String(repeating: "x", count: 10_000)]
        let config = NodeCoreConfig(name: "me", membershipSource: .swim(advertise: Self.me), tags: tags)
        #expect(throws: NodeCoreError.tagsTooLarge(size: SerfTags.encodeUnchecked(tags.merging([PlumtreeTag.key: PlumtreeTag.value(PlumtreeConfig().protocolVersions)]) { $1 }).count)) {
            _ = try NodeCore(config: config, seed: 1, metrics: NOOPMetricsHandler.instance, now: .zero)
        }
    }
}
