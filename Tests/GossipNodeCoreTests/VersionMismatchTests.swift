import CoreMetrics
@testable import GossipNodeCore
import MemberlistWire
import Membership
import Plumtree
import ProtocolSupport
import Testing

/// The node core reads each member's `plumtree` tag against the versions it speaks: members with a version
/// in common are peers, spoken to in the highest; a Plumtree node with none is reported once and listed.
@Suite("NodeCore: Plumtree versions of members")
struct VersionMismatchTests {
    static func makeCore(_ versions: ClosedRange<UInt8>) throws -> NodeCore {
        var plumtree = PlumtreeConfig()
        plumtree.protocolVersions = versions
        let config = NodeCoreConfig(name: "me", membershipSource: .swim(advertise: NodeCoreTests.me), plumtree: plumtree,
                                    checkInvariants: true)
        return try NodeCore(config: config, seed: 3, metrics: NOOPMetricsHandler.instance, now: .zero)
    }

    static func announce(_ core: inout NodeCore, _ name: String, _ last: UInt8, plumtree: String?, incarnation: UInt32 = 1,
                         at now: Instant) -> [NodeOutput] {
        var out: [NodeOutput] = []
        let tags = plumtree.map { [PlumtreeTag.key: $0] } ?? ["role": "serf"]
        core.receiveDatagram(NodeCoreTests.alive(name, last, tags: tags, incarnation: incarnation),
                             from: SocketAddress(ipv4: 10, 0, 0, last, port: 7946), now: now, into: &out)
        return out
    }

    static func mismatches(_ out: [NodeOutput]) -> [PlumtreeVersionMismatch] {
        out.compactMap { if case .plumtreeVersionMismatch(let mismatch) = $0 { mismatch } else { nil } }
    }

    @Test func membersWithoutAVersionInCommonAreReportedOnceAndNeverPeers() throws {
        var core = try Self.makeCore(2...2)
        #expect(core.members.first?.meta == (try SerfTags.encode([PlumtreeTag.key: "2"])))
        var out = Self.announce(&core, "old", 2, plumtree: "1", at: .zero)
        out += Self.announce(&core, "mixed", 3, plumtree: "1-2", at: .zero)
        out += Self.announce(&core, "serf", 4, plumtree: nil, at: .zero)
        out += Self.announce(&core, "garbled", 5, plumtree: "x", at: .zero)
        #expect(Self.mismatches(out) == [
            PlumtreeVersionMismatch(member: "old", announced: "1", local: "2"),
            PlumtreeVersionMismatch(member: "garbled", announced: "x", local: "2"),
        ])
        #expect(core.incompatibleMembers == ["old": "1", "garbled": "x"])
        _ = NodeCoreTests.run(&core, from: .zero, until: .zero + .seconds(1))
        #expect(Set(core.plumtreeSnapshot.eagerPeers + core.plumtreeSnapshot.lazyPeers) == ["mixed"])

        // Announced again unchanged: not reported again. Upgraded to 1-2: a peer, no longer listed.
        out = Self.announce(&core, "old", 2, plumtree: "1", incarnation: 2, at: .zero + .seconds(2))
        #expect(Self.mismatches(out).isEmpty)
        out = Self.announce(&core, "old", 2, plumtree: "1-2", incarnation: 3, at: .zero + .seconds(3))
        #expect(Self.mismatches(out).isEmpty && core.incompatibleMembers == ["garbled": "x"])
        _ = NodeCoreTests.run(&core, from: .zero + .seconds(3), until: .zero + .seconds(4))
        #expect(Set(core.plumtreeSnapshot.eagerPeers + core.plumtreeSnapshot.lazyPeers) == ["mixed", "old"])

        // A member that fails is no longer listed.
        var failed: [NodeOutput] = []
        core.receiveDatagram(Dead(incarnation: 1, node: "garbled", from: "someone").encoded(),
                             from: SocketAddress(ipv4: 10, 0, 0, 5, port: 7946), now: .zero + .seconds(5), into: &failed)
        #expect(core.incompatibleMembers.isEmpty)
    }

    @Test func versionsThisBuildDoesNotSpeakAreRefusedAtStart() {
        #expect(throws: NodeCoreError.unsupportedPlumtreeVersions(1...3)) { try Self.makeCore(1...3) }
    }
}
