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
