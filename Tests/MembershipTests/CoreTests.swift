import Membership
import MemberlistWire
import ProtocolSupport
import Testing
import MetricsTestSupport

/// Single-core behaviour that memberlist peers rely on.
@Suite struct CoreTests {
    static let me = SocketAddress(ipv4: 10, 0, 0, 1, port: 7946)
    static let peer = SocketAddress(ipv4: 10, 0, 0, 2, port: 7946)

    static func core(_ name: String = "me", config: MembershipConfig = .lan) -> (MembershipCore, RecordingMetrics) {
        let metrics = RecordingMetrics()
        let core = try! MembershipCore(config: config, local: LocalNode(name: name, address: me), seed: 1,
                                       metrics: metrics, now: .zero)
        return (core, metrics)
    }

    @Test func pingIsAckedAtSourceAddrWhenSetElseAtTheSender() throws {
        var (core, _) = Self.core()
        var out: [MembershipOutput] = []
        let replyTo = SocketAddress(ipv4: 192, 168, 1, 9, port: 8000)
        core.receiveDatagram(Ping(seqNo: 42, node: "me", sourceAddr: replyTo.ip, sourcePort: replyTo.port, sourceNode: "x").encoded(),
                             from: Self.peer, now: .zero, into: &out)
        core.receiveDatagram(Ping(seqNo: 43, node: "").encoded(), from: Self.peer, now: .zero, into: &out)
        #expect(out.count == 2)
        guard case .sendDatagram(let to1, let bytes1) = out[0], case .sendDatagram(let to2, let bytes2) = out[1] else {
            Issue.record("expected two datagrams, got \(out)")
            return
        }
        #expect(to1 == replyTo && to2 == Self.peer)
        #expect(try Packet.decode(bytes1) == [.ackResp(AckResp(seqNo: 42))])
        #expect(try Packet.decode(bytes2) == [.ackResp(AckResp(seqNo: 43))])
    }

    @Test func pushPullIsAnsweredWithOurStateBeforeMerging() throws {
        var (core, _) = Self.core()
        var out: [MembershipOutput] = []
        let theirs = PushPull(join: true, nodes: [
            PushNodeState(name: "peer", addr: Self.peer.ip, port: Self.peer.port, meta: [0xFF, 0x80], incarnation: 3,
                          state: .alive, vsn: .serfAgent),
        ])
        let reply = try #require(core.receiveStream(StreamMessage.pushPull(theirs).encoded(), from: Self.peer, now: .zero, into: &out))
        guard case .pushPull(let ours) = try StreamReader.decode(reply) else {
            Issue.record("expected a push/pull reply")
            return
        }
        #expect(ours.nodes.map(\.name) == ["me"])
        #expect(ours.nodes.first?.vsn == .serfLibrary)
        #expect(core.member(named: "peer")?.state == .alive)
        #expect(core.member(named: "peer")?.incarnation == 3)
        #expect(out.contains(.event(.joined(try #require(core.member(named: "peer"))))))
    }

    @Test func aPushPullWithAnIncompatibleDelegateIsRefusedButStillAnswered() throws {
        var (core, metrics) = Self.core()
        var out: [MembershipOutput] = []
        let theirs = PushPull(join: true, nodes: [
            PushNodeState(name: "old", addr: Self.peer.ip, port: Self.peer.port, incarnation: 1, state: .alive,
                          vsn: Vsn(protocolMin: 1, protocolMax: 5, protocolCurrent: 2, delegateMin: 0, delegateMax: 0, delegateCurrent: 0)),
        ])
        let reply = core.receiveStream(StreamMessage.pushPull(theirs).encoded(), from: Self.peer, now: .zero, into: &out)
        #expect(reply != nil)
        #expect(core.member(named: "old") == nil)
        #expect(metrics.value("memberlist_packets_dropped_total", [("reason", "incompatible_version")]) == 1)
    }

    @Test func tcpPingIsAnsweredWithAnAck() throws {
        var (core, _) = Self.core()
        var out: [MembershipOutput] = []
        let reply = try #require(core.receiveStream(StreamMessage.ping(Ping(seqNo: 5, node: "me")).encoded(), from: Self.peer, now: .zero, into: &out))
        #expect(try StreamReader.decode(reply) == .ackResp(AckResp(seqNo: 5)))
    }

    @Test func aSuspicionOfOurselvesIsRefutedWithAHigherIncarnation() throws {
        var (core, metrics) = Self.core()
        var out: [MembershipOutput] = []
        core.receiveDatagram(Suspect(incarnation: 7, node: "me", from: "peer").encoded(), from: Self.peer, now: .zero, into: &out)
        #expect(core.localIncarnation == 8)
        #expect(core.healthScore == 1, "Lifeguard counts a refutation")
        #expect(metrics.value("memberlist_health_score") == 1)
        #expect(core.member(named: "me")?.state == .alive)
        #expect(core.queuedBroadcasts == 1)
    }

    @Test func leavingAloneIsDoneAtOnceAndRefusesFurtherMeta() {
        var (core, _) = Self.core()
        var out: [MembershipOutput] = []
        core.leave(now: .zero, into: &out)
        #expect(out.contains(.leaveBroadcastDone))
        #expect(core.member(named: "me")?.state == .left)
        #expect(throws: MembershipError.alreadyLeft) { try core.updateMeta([0xFF, 0x80], now: .zero, into: &out) }
    }

    @Test func serfLeaveIntentIsAUserMessageOfSerfTypeZero() throws {
        var (core, _) = Self.core()
        var out: [MembershipOutput] = []
        // Learn a peer, and witness a serf join intent at Lamport time 41.
        let alive = Alive(incarnation: 1, node: "peer", addr: Self.peer.ip, port: Self.peer.port, vsn: .serfAgent)
        var intent = MsgpackWriter(prefix: [MessageType.user.rawValue, 1])
        intent.writeMapHeader(count: 2)
        intent.writeKey("LTime"); intent.writeUInt(41)
        intent.writeKey("Node"); intent.writeString("peer")
        core.receiveDatagram(try Compound.build([alive.encoded(), intent.bytes]), from: Self.peer, now: .zero, into: &out)
        out.removeAll()
        core.leave(now: .zero, into: &out)
        guard case .sendDatagram(let to, let bytes)? = out.first else {
            Issue.record("the leave intent is not the first output: \(out)")
            return
        }
        #expect(to == Self.peer)
        guard case .user(let payload)? = try Packet.decode(bytes).first else {
            Issue.record("not a user message")
            return
        }
        #expect(payload.first == 0, "serf message type 0: leave")
        #expect(try SerfLeave(decoding: payload) == SerfLeave(ltime: 42, node: "me", prune: false))
    }

    @Test func userMessagesArriveBestEffortAndReliably() throws {
        var net = SimulatedNetwork(seed: 31, config: ClusterTests.fast)
        net.addNode()
        net.addNode(keepLog: true)
        net.join(1, seeds: [0])
        net.run(for: .seconds(2))
        var out: [MembershipOutput] = []
        try net.nodes[0].core.sendUserMessage(to: "node-1", [1, 2, 3], reliable: false, now: net.now, into: &out)
        try net.nodes[0].core.sendUserMessage(to: "node-1", Array(repeating: 9, count: 5000), reliable: false, now: net.now, into: &out)
        try net.nodes[0].core.sendUserMessage(to: "node-1", [4, 5], reliable: true, now: net.now, into: &out)
        #expect(out.filter { if case .sendDatagram = $0 { return true } else { return false } }.count == 1)
        #expect(out.filter { if case .openStream(let r) = $0 { return !r.expectsReply } else { return false } }.count == 2)
        #expect(throws: MembershipError.unknownMember("nobody")) {
            try net.nodes[0].core.sendUserMessage(to: "nobody", [1], reliable: false, now: net.now, into: &out)
        }
        net.deliverOutputs(from: 0, out)
        net.run(for: .seconds(1))
        let received = net.nodes[1].log.compactMap { if case .userMessage(let m) = $0 { return m } else { return nil } }
        #expect(received.map(\.bytes).contains([1, 2, 3]))
        #expect(received.map(\.bytes).contains(Array(repeating: 9, count: 5000)))
        #expect(received.contains { $0.bytes == [4, 5] && $0.reliable && $0.from == "node-0" })
    }

    /// memberlist sends a user message raw (`SendBestEffort`): queued facts ride only on gossip to random
    /// members and on probes. Piggybacked on user messages, which the layer above sends to the same few
    /// neighbours again and again, a fact spent its `retransmitLimit` transmissions on members that knew it,
    /// and a node that joined could stay unknown to another until the next push/pull (seen as 6-20 s
    /// convergence in 8-node clusters).
    @Test func userMessagesCarryNoQueuedGossip() throws {
        var net = SimulatedNetwork(seed: 32, config: ClusterTests.fast)
        net.addNode()
        net.addNode()
        net.join(1, seeds: [0])
        net.run(for: .seconds(2))
        var out: [MembershipOutput] = []
        // A fact waiting to be gossiped: node-0's own metadata update.
        try net.nodes[0].core.updateMeta([7], now: net.now, into: &out)
        let queued = net.nodes[0].core.queuedBroadcasts
        #expect(queued > 0)
        out.removeAll()
        try net.nodes[0].core.sendUserMessage(to: "node-1", [1, 2, 3], reliable: false, now: net.now, into: &out)
        let datagrams = out.compactMap { if case .sendDatagram(_, let bytes) = $0 { return bytes } else { return nil } }
        try #require(datagrams.count == 1)
        #expect(try Packet.decode(datagrams[0]) == [.user([1, 2, 3])])
        #expect(net.nodes[0].core.queuedBroadcasts == queued, "the fact is still waiting for gossip")
    }

    @Test func metricDescriptorsCoverWhatIsRecorded() {
        let names = Set(MembershipCore.descriptors.map(\.name))
        for name in ["memberlist_members", "memberlist_health_score", "memberlist_probe_rtt_seconds",
                     "memberlist_probes_total", "memberlist_packets_dropped_total", "memberlist_packets_sent_total",
                     "memberlist_bytes_sent_total", "memberlist_packets_received_total", "memberlist_bytes_received_total"] {
            #expect(names.contains(name))
        }
        var net = SimulatedNetwork(seed: 5, config: ClusterTests.fast)
        for _ in 0..<4 { net.addNode() }
        for i in 1..<4 { net.join(i, seeds: [0]) }
        net.run(for: .seconds(20))
        let metrics = net.nodes[2].metrics
        #expect(metrics.value("memberlist_members", [("state", "alive")]) == 4)
        #expect(metrics.value("memberlist_probes_total", [("result", "ack")]) >= 10)
        #expect(metrics.value("memberlist_probe_rtt_seconds") >= 10)
        #expect(metrics.value("memberlist_packets_sent_total", [("transport", "udp")]) > 0)
        #expect(metrics.value("memberlist_bytes_received_total", [("transport", "udp")]) > 0)
        #expect(metrics.value("memberlist_packets_sent_total", [("transport", "tcp")]) > 0)
    }
}

@Suite struct KeyRotationTests {
    @Test func aClusterRotatesItsKeyWithoutRestart() throws {
        let old = Array(repeating: UInt8(1), count: 32)
        let new = Array(repeating: UInt8(2), count: 32)
        var net = SimulatedNetwork(seed: 51, config: ClusterTests.fast)
        for _ in 0..<4 { net.addNode(keyring: try Keyring(primaryKey: old)) }
        for i in 1..<4 { net.join(i, seeds: [0]) }
        net.run(for: .seconds(5))
        #expect(net.converged(live: Array(0..<4)))
        for i in 0..<4 { try net.nodes[i].core.installKey(new) }
        net.run(for: .seconds(2))
        for i in 0..<4 { try net.nodes[i].core.useKey(new) }
        net.run(for: .seconds(2))
        for i in 0..<4 { try net.nodes[i].core.removeKey(old) }
        net.run(for: .seconds(20))
        #expect(net.converged(live: Array(0..<4)))
        #expect(net.nodes.allSatisfy { $0.core.keyring?.keys == [new] })
        let decryptFailures = (0..<4).map { net.nodes[$0].metrics.value("memberlist_packets_dropped_total", [("reason", "decryption_failed")]) }
        #expect(decryptFailures == [0, 0, 0, 0])
        #expect(!net.events.contains { if case .suspect = $0.2 { return true } else { return false } })
    }
}

@Suite struct BroadcastTests {
    @Test func aQueuedBroadcastRidesOnGossipToEveryone() {
        var net = SimulatedNetwork(seed: 61, config: ClusterTests.fast)
        for _ in 0..<12 { net.addNode(keepLog: true) }
        for i in 1..<12 { net.join(i, seeds: [0]) }
        net.run(for: .seconds(10))
        #expect(net.converged(live: Array(0..<12)))
        net.nodes[3].core.queueBroadcast([0xAB, 1, 2], key: "config-v1")
        net.nodes[3].core.queueBroadcast([0xAB, 1, 3], key: "config-v1")  // replaces the first
        net.run(for: .seconds(5))
        // Gossip is epidemic among the gossip targets of node 3 only (facts are not re-gossiped by receivers,
        // as in memberlist): each receiver got the newest version, none the replaced one.
        var receivers = 0
        for i in 0..<12 where i != 3 {
            let got = net.nodes[i].log.compactMap { if case .userMessage(let m) = $0 { return m.bytes } else { return nil } }
            #expect(!got.contains([0xAB, 1, 2]))
            if got.contains([0xAB, 1, 3]) { receivers += 1 }
        }
        #expect(receivers >= 3)
        #expect(net.nodes[3].core.queuedBroadcasts == 0)
    }
}
