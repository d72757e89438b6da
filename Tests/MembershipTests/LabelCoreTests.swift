import Membership
import MemberlistWire
import ProtocolSupport
import Testing
import MetricsTestSupport

/// The cluster label in the membership core: validated, written on every packet and every stream the core
/// opens (never on a reply), checked on everything received, and a mismatch counted under its own reason.
@Suite struct LabelCoreTests {
    static let me = SocketAddress(ipv4: 10, 0, 0, 1, port: 7946)
    static let peer = SocketAddress(ipv4: 10, 0, 0, 2, port: 7946)

    static func config(_ label: String, skip: Bool = false) -> MembershipConfig {
        var config = ClusterTests.fast
        config.label = label
        config.skipInboundLabelCheck = skip
        return config
    }

    static func core(label: String, skip: Bool = false) throws -> (MembershipCore, RecordingMetrics) {
        let metrics = RecordingMetrics()
        let core = try MembershipCore(config: config(label, skip: skip), local: LocalNode(name: "me", address: me),
                                      seed: 1, metrics: metrics, now: .zero)
        return (core, metrics)
    }

    static func mismatches(_ metrics: RecordingMetrics) -> Double {
        metrics.value("memberlist_packets_dropped_total", [("reason", "label_mismatch")])
    }

    @Test func labelIsValidated() throws {
        #expect(throws: MembershipError.invalidLabel(String(repeating: "x", count: 256))) {
            _ = try Self.core(label: String(repeating: "x", count: 256))
        }
        // 128 two-byte characters: 256 bytes, though 128 characters.
        let wide = String(repeating: "é", count: 128)
        #expect(throws: MembershipError.invalidLabel(wide)) { _ = try Self.core(label: wide) }
        _ = try Self.core(label: String(repeating: "x", count: 255))
        _ = try Self.core(label: "")
    }

    @Test func everyDatagramAndOpenedStreamCarriesTheHeaderButRepliesDoNot() throws {
        var (core, metrics) = try Self.core(label: "blue")
        var out: [MembershipOutput] = []
        let header = LabelHeader.wrap([], label: utf8("blue"))
        core.receiveDatagram(LabelHeader.wrap(Ping(seqNo: 9, node: "me").encoded(), label: utf8("blue")),
                             from: Self.peer, now: .zero, into: &out)
        core.join([Self.peer], now: .zero, into: &out)
        let datagrams = out.compactMap { if case .sendDatagram(_, let bytes) = $0 { bytes } else { nil } }
        let streams = out.compactMap { if case .openStream(let request) = $0 { request.request } else { nil } }
        #expect(datagrams.count == 1 && streams.count == 1)
        #expect(datagrams.allSatisfy { Array($0.prefix(header.count)) == header })
        #expect(streams.allSatisfy { Array($0.prefix(header.count)) == header })
        #expect(try Packet.decode(datagrams[0], label: try! LabelPolicy(label: utf8("blue"))) == [.ackResp(AckResp(seqNo: 9))])
        // The answer to a labelled push/pull has no header of its own.
        let request = LabelHeader.wrap(StreamMessage.pushPull(PushPull(join: true, nodes: [])).encoded(), label: utf8("blue"))
        let reply = try #require(core.receiveStream(request, from: Self.peer, now: .zero, into: &out))
        #expect(reply.first == MessageType.pushPull.rawValue)
        #expect(Self.mismatches(metrics) == 0)
    }

    @Test(arguments: [
        ("another label", "green", false, true),
        ("no header", "", false, true),
        ("our own header while skipping the check", "blue", true, true),
        ("no header while skipping the check", "", true, false),
    ] as [(String, String, Bool, Bool)])
    func inboundIsCheckedAndAMismatchIsCountedAndChangesNothing(what: String, sent: String, skip: Bool, refused: Bool) throws {
        var (core, metrics) = try Self.core(label: "blue", skip: skip)
        var out: [MembershipOutput] = []
        let alive = Alive(incarnation: 1, node: "peer", addr: Self.peer.ip, port: Self.peer.port, vsn: .serfLibrary)
        core.receiveDatagram(LabelHeader.wrap(alive.encoded(), label: utf8(sent)), from: Self.peer, now: .zero, into: &out)
        let push = StreamMessage.pushPull(PushPull(join: true, nodes: [
            PushNodeState(name: "other", addr: [10, 0, 0, 3], port: 7946, incarnation: 1, state: .alive, vsn: .serfLibrary),
        ]))
        let reply = core.receiveStream(LabelHeader.wrap(push.encoded(), label: utf8(sent)), from: Self.peer, now: .zero, into: &out)
        #expect(Self.mismatches(metrics) == (refused ? 2 : 0), "\(what)")
        #expect((core.member(named: "peer") == nil) == refused, "\(what)")
        #expect((core.member(named: "other") == nil) == refused, "\(what)")
        // memberlist closes another cluster's stream without answering.
        #expect((reply == nil) == refused, "\(what)")
        let refusals = out.compactMap { if case .refused(let r) = $0 { r } else { nil } }
        #expect(refusals.allSatisfy { $0.reason == .labelMismatch && $0.remoteLabel == sent }, "\(what)")
    }

    @Test func clustersWithDifferentLabelsStayApart() {
        var net = SimulatedNetwork(seed: 5, config: ClusterTests.fast)
        net.addNode(config: Self.config("a"))
        net.addNode(config: Self.config("a"))
        net.addNode(config: Self.config("b"))
        net.join(1, seeds: [0])
        net.join(2, seeds: [0])
        net.run(for: .seconds(20))
        #expect(net.converged(live: [0, 1]))
        #expect(net.nodes[2].core.members.map(\.name) == [SimulatedNetwork.name(2)])
        #expect(net.state(of: 2, at: 0) == nil && net.state(of: 2, at: 1) == nil)
        #expect(Self.mismatches(net.nodes[0].metrics) >= 1)
    }

    @Test func encryptedClusterWithALabelConverges() throws {
        let keyring = try Keyring(primaryKey: [UInt8](repeating: 7, count: 32))
        var net = SimulatedNetwork(seed: 6, config: Self.config("sealed"))
        for _ in 0..<3 { net.addNode(keyring: keyring) }
        net.join(1, seeds: [0])
        net.join(2, seeds: [0])
        net.run(for: .seconds(20))
        #expect(net.converged(live: [0, 1, 2]))
        for node in net.nodes {
            #expect(Self.mismatches(node.metrics) == 0)
            #expect(node.metrics.value("memberlist_packets_dropped_total", [("reason", "decryption_failed")]) == 0)
        }
    }

    @Test func skippingTheCheckAcceptsUnlabelledWhileSendingLabelled() {
        var net = SimulatedNetwork(seed: 7, config: ClusterTests.fast)
        net.addNode(config: Self.config("a", skip: true))
        net.addNode()
        net.join(1, seeds: [0])
        net.run(for: .milliseconds(50))
        // The unlabelled node's push/pull was taken in, and the reply (unlabelled, as replies are) read.
        #expect(net.state(of: 1, at: 0) == .alive)
        #expect(net.state(of: 0, at: 1) == .alive)
        #expect(Self.mismatches(net.nodes[0].metrics) == 0)
        // What the skipping node sends is labelled: the unlabelled node refuses it.
        net.run(for: .seconds(5))
        #expect(Self.mismatches(net.nodes[1].metrics) >= 1)
        #expect(Self.mismatches(net.nodes[0].metrics) == 0)
    }
}

private func utf8(_ text: String) -> [UInt8] { Array(text.utf8) }

extension LabelCoreTests {
    /// memberlist leaves room for the label header when it fills a datagram (sendMsg, gossip: labelOverhead):
    /// a user message that fits the budget without a label goes over a stream with a long one.
    @Test func theHeaderComesOutOfThePacketBudget() throws {
        for (label, viaStream) in [("", false), (String(repeating: "l", count: 200), true)] {
            let metrics = RecordingMetrics()
            var core = try MembershipCore(config: Self.config(label), local: LocalNode(name: "me", address: Self.me),
                                          seed: 1, metrics: metrics, now: .zero)
            var out: [MembershipOutput] = []
            let alive = Alive(incarnation: 1, node: "peer", addr: Self.peer.ip, port: Self.peer.port, vsn: .serfLibrary)
            core.receiveDatagram(LabelHeader.wrap(alive.encoded(), label: Array(label.utf8)), from: Self.peer, now: .zero, into: &out)
            out = []
            // 1400 - 2 (compound header) - 2 (part length) - 1 (type byte): the largest that fits unlabelled.
            try core.sendUserMessage(to: "peer", [UInt8](repeating: 7, count: 1395), reliable: false, now: .zero, into: &out)
            let streamed = out.contains { if case .openStream = $0 { true } else { false } }
            #expect(streamed == viaStream, "label of \(label.utf8.count) bytes")
        }
    }
}
