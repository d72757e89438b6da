import Plumtree
import ProtocolSupport
import Testing

/// How the overlay forms when membership hands a node many members at once, and how a link that only one
/// end holds is undone.
@Suite struct OverlayFormationTests {
    @Test func aBurstOfMembersAnnouncesOnlyTheNeighboursItKeeps() {
        var h = CoreHarness()
        for index in 0..<200 { h.core.memberUp("m\(index)", advertisesPlumtree: true, now: h.now, into: &h.output) }
        #expect(h.drainSends().isEmpty, "nothing goes out while the burst lasts, not even Disconnects")
        h.advance(.zero)
        let sends = h.drainSends()
        let snapshot = h.core.snapshot
        #expect(snapshot.totalPeers == 9)
        #expect(sends.count == 9, "one Neighbor per neighbour kept: \(sends.map(\.message))")
        #expect(Set(sends.map(\.to)) == Set(snapshot.eagerPeers + snapshot.lazyPeers))
        for send in sends {
            #expect(send.message == .neighbor(eager: snapshot.eagerPeers.contains(send.to)))
        }
    }

    @Test func aNeighbourReplacedBeforeItWasToldGetsNoDisconnect() {
        var h = CoreHarness(peers: (0..<9).map { "n\($0)" })
        #expect(h.core.snapshot.totalPeers == 9)
        // Enough later members that the reservoir replaces some of the first nine.
        for index in 0..<400 { h.core.memberUp("m\(index)", advertisesPlumtree: true, now: h.now, into: &h.output) }
        h.advance(.zero)
        let sends = h.drainSends()
        let snapshot = h.core.snapshot
        let kept = Set(snapshot.eagerPeers + snapshot.lazyPeers)
        let disconnected = Set(sends.filter { $0.message == .disconnect }.map(\.to))
        let told = Set(sends.filter { if case .neighbor = $0.message { true } else { false } }.map(\.to))
        #expect(!disconnected.isEmpty, "neighbours told before the burst and replaced in it are told to drop us")
        #expect(disconnected.allSatisfy { $0.hasPrefix("n") && !kept.contains($0) })
        #expect(told == kept.filter { $0.hasPrefix("m") }, "only the newcomers kept are told, once each")
    }

    @Test func aNeighborIsAnsweredWithAcceptance() throws {
        // Ten members, nine neighbours: the Neighbor comes from the member left out.
        var h = CoreHarness(peers: (0..<10).map { "n\($0)" })
        let snapshot = h.core.snapshot
        let y = try #require((0..<10).map { "n\($0)" }.first { !snapshot.eagerPeers.contains($0) && !snapshot.lazyPeers.contains($0) })
        _ = h.drainSends()
        h.receive(.neighbor(eager: false), from: y)
        #expect(h.core.snapshot.lazyPeers.contains(y))
        #expect(h.drainSends().map(\.message) == [.neighborAccepted])
        h.receive(.neighbor(eager: false), from: y)
        #expect(h.drainSends().map(\.message) == [.neighborAccepted], "a repeated Neighbor is confirmed too")
    }

    /// A peer membership does not list (not yet, or no longer: one that has just left still sends) is
    /// refused: adopted, it would stay a neighbour on this side alone for as long as it never becomes a member.
    @Test func aNeighborFromANonMemberIsRefused() {
        var h = CoreHarness(peers: (0..<4).map { "n\($0)" })
        _ = h.drainSends()
        h.receive(.neighbor(eager: true), from: "stranger")
        #expect(h.drainSends().map(\.message) == [.disconnect])
        let snapshot = h.core.snapshot
        #expect(!snapshot.eagerPeers.contains("stranger") && !snapshot.lazyPeers.contains("stranger"))
        #expect(h.core.invariantViolation() == nil)
        // Once membership lists it, its Neighbor is taken.
        h.core.memberUp("stranger", advertisesPlumtree: true, now: h.now, into: &h.output)
        _ = h.drainSends()
        h.receive(.neighbor(eager: true), from: "stranger")
        #expect(h.core.snapshot.eagerPeers.contains("stranger"))
    }

    /// A Neighbor overtaken by the same sender's Disconnect leaves a link on the receiver's side only; the
    /// acceptance tells the sender, whose Disconnect then undoes it.
    @Test func aLinkLeftByReorderedMessagesIsUndone() {
        // a sent b a Neighbor, then replaced b and sent a Disconnect: a does not hold b.
        var a = CoreHarness(peers: (0..<9).map { "n\($0)" }, name: "a")

        var b = CoreHarness(peers: ["a"] + (0..<5).map { "p\($0)" }, name: "b")
        _ = b.drainSends()
        b.receive(.disconnect, from: "a")
        b.receive(.neighbor(eager: true), from: "a")
        #expect(b.core.snapshot.eagerPeers.contains("a"), "the late Neighbor made a one-sided link")
        let answer = b.drainSends()
        #expect(answer.map(\.message).contains(.neighborAccepted))

        a.receive(.neighborAccepted, from: "b")
        let objection = a.drainSends()
        #expect(objection.map(\.message) == [.disconnect] && objection.map(\.to) == ["b"])
        #expect(!(a.core.snapshot.eagerPeers + a.core.snapshot.lazyPeers).contains("b"), "an acceptance adds nothing")

        b.receive(.disconnect, from: "a")
        #expect(!(b.core.snapshot.eagerPeers + b.core.snapshot.lazyPeers).contains("a"))

        // From a peer it holds, an acceptance is only a confirmation.
        let held = a.core.snapshot.eagerPeers[0]
        a.receive(.neighborAccepted, from: held)
        #expect(a.drainSends().isEmpty)
        #expect(a.core.snapshot.eagerPeers.contains(held))
    }

    /// Nodes that learn the cluster from one push/pull all see members in the same order. Every node then
    /// starts its reservoir with the same first members; told at once, those few would each receive a
    /// Neighbor and a Disconnect from every node, in either order, and keep links the other ends dropped.
    @Test(arguments: [UInt64(1), 2])
    func aClusterLearningMembersInOneOrderFormsASymmetricConnectedOverlay(seed: UInt64) {
        let size = 300
        let cluster = SimulatedCluster(size: size, config: .lan, seed: seed, sameMemberOrder: true)
        cluster.run(for: .seconds(2))
        let overlay = cluster.overlay()
        #expect(SimulatedCluster.oneSidedLinks(overlay) == 0, "links held by one end only")
        #expect(overlay.values.allSatisfy { $0.count >= 9 && $0.count <= 12 }, "degrees \(Set(overlay.values.map(\.count)).sorted())")
        #expect(SimulatedCluster.isConnected(overlay), "overlay connected")

        let neighbors = cluster.sentByType[5] ?? 0
        #expect(neighbors <= 2 * 9 * size, "\(neighbors) Neighbor messages to form the overlay")

        let ids = cluster.broadcastSeries(count: 20, spacing: .milliseconds(50))
        cluster.run(for: .seconds(1))
        let complete = ids.filter { cluster.deliveredExactlyOnceEverywhere($0.0, origin: $0.1) }.count
        #expect(complete == ids.count, "broadcasts right after formation reach every node through the tree")
    }
}
