import MetricsTestSupport
import Plumtree
import ProtocolSupport
import Testing

/// Plumtree protocol versions: what a tag announces, what two ranges agree on, and that each peer is
/// written to in the version agreed with it and only versions this node speaks are read.
@Suite("Plumtree version negotiation")
struct VersionNegotiationTests {
    @Test func tagValuesReadAndWrite() {
        #expect(PlumtreeVersions.tagValue(1...1) == "1" && PlumtreeVersions.tagValue(1...2) == "1-2")
        #expect(PlumtreeVersions.parse("1") == 1...1 && PlumtreeVersions.parse("1-2") == 1...2 && PlumtreeVersions.parse("7-9") == 7...9)
        for bad in ["", "0", "2-1", "1-", "-1", "a", "1-2-3", "256", " 1"] { #expect(PlumtreeVersions.parse(bad) == nil, "\(bad)") }
        #expect(PlumtreeVersions.negotiate(1...2, 1...1) == 1)
        #expect(PlumtreeVersions.negotiate(1...2, 1...3) == 2)
        #expect(PlumtreeVersions.negotiate(2...2, 1...2) == 2)
        #expect(PlumtreeVersions.negotiate(2...2, 1...1) == nil)
    }

    /// The version byte of every envelope sent to `peer`.
    static func versionsSent(_ output: [PlumtreeOutput], to peer: String) -> Set<UInt8> {
        Set(output.compactMap { if case .send(let to, let bytes, _) = $0, to == peer { bytes[1] } else { nil } })
    }

    @Test func eachPeerIsWrittenToInItsVersion() throws {
        var config = PlumtreeConfig()
        config.protocolVersions = 1...2
        var output: [PlumtreeOutput] = []
        var core = PlumtreeCore(config: config, localID: "me", seed: 1, metrics: RecordingMetrics(), now: .zero)
        core.memberUp("old", version: 1, now: .zero, into: &output)
        core.memberUp("new", version: 2, now: .zero, into: &output)
        core.memberUp("stranger", version: 3, now: .zero, into: &output)  // outside this node's range: not a peer
        core.handleTimeout(now: .zero + .milliseconds(500), into: &output)
        _ = try core.broadcast([1, 2, 3], now: .zero + .seconds(1), into: &output)
        #expect(Self.versionsSent(output, to: "old") == [1])
        #expect(Self.versionsSent(output, to: "new") == [2])
        #expect(Self.versionsSent(output, to: "stranger").isEmpty)
        #expect(Set(core.snapshot.eagerPeers + core.snapshot.lazyPeers) == ["old", "new"])

        // The old node announces 1-2 after its upgrade: from then on it is written to in version 2.
        output = []
        core.memberUp("old", version: 2, now: .zero + .seconds(2), into: &output)
        _ = try core.broadcast([4], now: .zero + .seconds(3), into: &output)
        #expect(Self.versionsSent(output, to: "old") == [2])
    }

    @Test func onlyVersionsSpokenAreRead() {
        var output: [PlumtreeOutput] = []
        var config = PlumtreeConfig()
        config.protocolVersions = 1...1
        var core = PlumtreeCore(config: config, localID: "me", seed: 1, metrics: RecordingMetrics(), now: .zero)
        core.memberUp("peer", advertisesPlumtree: true, now: .zero, into: &output)
        let gossip = PlumtreeMessage.gossip(.init(id: MessageID(high: 1, low: 2), round: 1, origin: "peer", payload: [9]))
        var bytes = PlumtreeEnvelope(sender: "peer", message: gossip.encoded()[...]).encoded()!
        bytes[1] = 2
        output = []
        core.receive(envelope: bytes, now: .zero + .seconds(1), into: &output)
        #expect(output.contains { if case .refused(.unsupportedVersion(2)) = $0 { true } else { false } })
        #expect(!output.contains { if case .deliver = $0 { true } else { false } })
        bytes[1] = 1
        core.receive(envelope: bytes, now: .zero + .seconds(1), into: &output)
        #expect(output.contains { if case .deliver = $0 { true } else { false } })
    }
}
