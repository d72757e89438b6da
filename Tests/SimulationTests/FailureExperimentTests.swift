import GossipSimulator
import Testing

/// The Plumtree paper's failure experiment at a size a test can afford: the broadcasts right after a mass
/// crash lose their on-time delivery where the tree lost branches, Grafts still deliver them, the tree is
/// whole again by the time the failures are reported, and then carries no redundant payload; the flood
/// baseline never loses on-time delivery to a 30% crash and pays for it in RMR.
@Suite("Failure experiment (Plumtree paper, section 5.3)")
struct FailureExperimentTests {
    @Test("30% crashed: Plumtree repairs, flood never loses, and flood pays for it in redundancy")
    func thirtyPercent() {
        let plumtree = FailureExperiment.run(nodes: 60, share: 0.3, seed: 1)
        let flood = FailureExperiment.run(nodes: 60, share: 0.3, seed: 1, flood: true)
        #expect(plumtree.crashed == 18 && flood.crashed == 18)
        // Every broadcast reaches every survivor in the end: what the tree lost, Grafts bring.
        #expect(plumtree.broadcasts.allSatisfy { $0.reliability == 1 }, "\(plumtree.broadcasts.map(\.reliability))")
        #expect(plumtree.firstOnTime < 1, "a 30% crash must cut branches of the tree the first broadcast takes")
        let repaired = plumtree.secondsToFullReliability ?? .infinity
        #expect(repaired <= FailureExperiment.detectionDelay.seconds + 1, "full on-time reliability from \(repaired) s")
        #expect(plumtree.rmrAfterRepair < 0.1 && plumtree.ldhAfterRepair > 0)
        #expect(flood.broadcasts.allSatisfy { $0.onTimeReliability == 1 })
        #expect(flood.rmrAfterRepair > 5 * max(plumtree.rmrAfterRepair, 0.5))
    }

    @Test("80% crashed: the tree is whole again within a second of the failures being reported")
    func eightyPercent() {
        let run = FailureExperiment.run(nodes: 60, share: 0.8, seed: 1, after: 40)
        #expect(run.crashed == 48)
        #expect(run.firstOnTime < 0.5)
        let repaired = run.secondsToFullReliability ?? .infinity
        #expect(repaired <= FailureExperiment.detectionDelay.seconds + 1, "full on-time reliability from \(repaired) s")
    }
}
