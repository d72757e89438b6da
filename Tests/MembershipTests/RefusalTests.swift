import Membership
import MemberlistWire
import ProtocolSupport
import Testing
import MetricsTestSupport

/// Bad input: refused with a reason, counted, and no state change.
@Suite struct RefusalTests {
    struct Snapshot: Equatable {
        var members: [Member]
        var health: Int
        var incarnation: UInt32
        var queued: Int
        init(_ core: MembershipCore) {
            members = core.members
            health = core.healthScore
            incarnation = core.localIncarnation
            queued = core.queuedBroadcasts
        }
    }

    static func converged() -> SimulatedNetwork {
        var net = SimulatedNetwork(seed: 21, config: ClusterTests.fast)
        for _ in 0..<3 { net.addNode() }
        net.join(1, seeds: [0])
        net.join(2, seeds: [0])
        net.run(for: .seconds(40))
        return net
    }

    static func name(_ i: Int) -> String { SimulatedNetwork.name(i) }

    @Test(arguments: [
        ("garbage type byte", [0xEE, 1, 2, 3], "unknown_type"),
        ("empty datagram", [], "truncated"),
        ("truncated ping", Array(Ping(seqNo: 7, node: "node-0").encoded().dropLast(3)), "truncated"),
        ("push/pull inside a packet", [6, 0x80], "unexpected_type"),
        ("compound lying about a part length", [7, 1, 0x10, 0x00, 0, 0x80], "truncated"),
        ("wrong msgpack type for SeqNo", [0, 0x81, 0xA5] + Array("SeqNo".utf8) + [0xA1, 0x61], "malformed"),
        ("ping for another node", Ping(seqNo: 1, node: "someone-else").encoded(), "wrong_node"),
        ("ack nobody waits for", AckResp(seqNo: 999_999).encoded(), "stale_ack"),
        ("alive without versions", Alive(incarnation: 50, node: "node-1", addr: [10, 0, 0, 2], port: 7946).encoded(),
         "incompatible_version"),
        ("alive from a protocol we cannot speak",
         Alive(incarnation: 50, node: "node-9", addr: [10, 0, 0, 9], port: 7946,
               vsn: Vsn(protocolMin: 6, protocolMax: 7, protocolCurrent: 6, delegateMin: 2, delegateMax: 5, delegateCurrent: 4)).encoded(),
         "incompatible_version"),
        ("alive for a known name at another address",
         Alive(incarnation: 50, node: "node-1", addr: [10, 9, 9, 9], port: 7946, vsn: .serfLibrary).encoded(),
         "address_conflict"),
        ("alive with a 3-byte address",
         Alive(incarnation: 50, node: "node-7", addr: [10, 0, 0], port: 7946, vsn: .serfLibrary).encoded(), "malformed"),
        ("alive with 600 bytes of meta",
         Alive(incarnation: 50, node: "node-7", addr: [10, 0, 0, 7], port: 7946, meta: Array(repeating: 1, count: 600),
               vsn: .serfLibrary).encoded(), "too_large"),
    ] as [(String, [UInt8], String)])
    func badPacketsAreRefusedCountedAndChangeNothing(what: String, bytes: [UInt8], reason: String) {
        var net = Self.converged()
        #expect(net.converged(live: [0, 1, 2]))
        let before = Snapshot(net.nodes[0].core)
        let out = net.inject(bytes, to: 0, from: SimulatedNetwork.address(2))
        let refusals = out.compactMap { if case .refused(let r) = $0 { return r } else { return nil } }
        #expect(refusals.map(\.reason.rawValue) == [reason], "\(what)")
        #expect(refusals.first?.source == SimulatedNetwork.address(2))
        #expect(!out.contains { if case .sendDatagram = $0 { return true } else { return false } }, "\(what) was answered")
        #expect(net.nodes[0].metrics.value("memberlist_packets_dropped_total", [("reason", reason)]) == 1, "\(what) not counted")
        #expect(Snapshot(net.nodes[0].core) == before, "\(what) changed state")
    }

    @Test func aDatagramWithABadCRCIsRefusedWhole() {
        var net = Self.converged()
        let before = Snapshot(net.nodes[0].core)
        var packet = CRCEnvelope.wrap(try! Compound.build([
            Ping(seqNo: 3, node: "node-0").encoded(),
            Suspect(incarnation: 99, node: "node-1", from: "node-2").encoded(),
        ]))
        packet[3] ^= 0xFF
        let out = net.inject(packet, to: 0, from: SimulatedNetwork.address(2))
        #expect(out.count == 1)
        #expect(out.first.map { if case .refused(let r) = $0 { return r.reason == .badCRC } else { return false } } == true)
        #expect(Snapshot(net.nodes[0].core) == before)
        #expect(net.nodes[0].metrics.total("memberlist_packets_dropped_total") == 1)
    }

    @Test func aGarbageStreamIsRefusedAndAnsweredWithAnError() throws {
        var net = Self.converged()
        let before = Snapshot(net.nodes[0].core)
        var out: [MembershipOutput] = []
        let request: [UInt8] = [6, 0x83, 0xA4] + Array("Join".utf8) + [0xC3, 0xA5] + Array("Nodes".utf8) + [0xCE, 0x7F, 0xFF, 0xFF, 0xFF]
        let reply = net.nodes[0].core.receiveStream(request, from: SimulatedNetwork.address(2), now: net.now, into: &out)
        let decoded = try StreamReader.decode(try #require(reply))
        guard case .errResp = decoded else {
            Issue.record("expected an error reply, got \(decoded)")
            return
        }
        #expect(out.contains { if case .refused = $0 { return true } else { return false } })
        #expect(net.nodes[0].metrics.total("memberlist_packets_dropped_total") == 1)
        #expect(Snapshot(net.nodes[0].core) == before)
    }
}

@Suite struct FloodTests {
    @Test func aFloodOfIndirectPingRequestsIsBoundedAndCounted() {
        let metrics = RecordingMetrics()
        var core = try! MembershipCore(
            config: .lan, local: LocalNode(name: "me", address: SocketAddress(ipv4: 10, 0, 0, 1, port: 7946)),
            seed: 3, metrics: metrics, now: .zero)
        var out: [MembershipOutput] = []
        let attacker = SocketAddress(ipv4: 10, 6, 6, 6, port: 7946)
        for seq in 0..<1100 {
            let request = IndirectPingReq(seqNo: UInt32(seq), target: [10, 0, 0, 9], port: 7946, node: "victim", nack: true)
            core.receiveDatagram(request.encoded(), from: attacker, now: .zero, into: &out)
        }
        let pings = out.filter { if case .sendDatagram = $0 { return true } else { return false } }
        #expect(pings.count == 1024)
        #expect(metrics.value("memberlist_packets_dropped_total", [("reason", "overloaded")]) == 76)
        // After a probe timeout the relays expire (each sending its nack) and there is room again.
        out.removeAll()
        core.handleTimeout(now: .zero + .milliseconds(500), into: &out)
        let nacks = out.filter { if case .sendDatagram(let to, _) = $0 { return to == attacker } else { return false } }
        #expect(nacks.count == 1024)
        out.removeAll()
        core.receiveDatagram(IndirectPingReq(seqNo: 5000, target: [10, 0, 0, 9], port: 7946, node: "victim").encoded(),
                             from: attacker, now: .zero + .milliseconds(501), into: &out)
        #expect(out.count == 1)
    }
}
