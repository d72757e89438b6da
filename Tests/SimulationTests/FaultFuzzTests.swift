import GossipSimulator
import ProtocolSupport
import Testing

/// A short batch of the randomized fault runs (`plumtree-sim fuzz` runs any number of seeds).
@Suite("Randomized fault runs")
struct FaultFuzzTests {
    @Test("seeds 1-5: membership converges, every broadcast arrives exactly once, the overlay ends whole",
          arguments: UInt64(1)...5)
    func faultRun(seed: UInt64) {
        let result = FaultFuzz.run(seed: seed, options: FaultFuzzOptions(nodes: 8))
        #expect(result.schedule.count >= 8, "the schedule injected only \(result.schedule.count) faults")
        #expect(result.checkedDeliveries > 500, "only \(result.checkedDeliveries) deliveries were required")
        #expect(result.passed, "\(result.failures.joined(separator: "; ")) — replay: \(result.replayCommand)")
    }

    @Test("seed 149 at 10 nodes: a node isolated right after a partition, suspected but never declared dead, is caught up")
    func isolatedAfterPartition() {
        // This run lost 14 deliveries for good before a refuted suspicion started a catch-up walk.
        let result = FaultFuzz.run(seed: 149, options: FaultFuzzOptions(nodes: 10))
        #expect(result.schedule.contains { $0.hasSuffix("isolate node-0") })
        #expect(result.passed, "\(result.failures.joined(separator: "; ")) — replay: \(result.replayCommand)")
    }

    @Test("the same seed replays the same run")
    func replay() {
        let options = FaultFuzzOptions(nodes: 6, faultPeriod: .seconds(40), quietPeriod: .seconds(40))
        let first = FaultFuzz.run(seed: 9, options: options)
        let second = FaultFuzz.run(seed: 9, options: options)
        #expect(first.schedule == second.schedule)
        #expect(first.broadcasts == second.broadcasts && first.checkedDeliveries == second.checkedDeliveries)
        #expect(FaultFuzz.run(seed: 10, options: options).schedule != first.schedule)
    }
}
