import ProtocolSupport
import Testing
@testable import GossipNodeCore

/// When failures add up to a suspected partition.
@Suite struct PartitionDetectorTests {
    let window: Duration = .seconds(10)
    func at(_ seconds: Int) -> Instant { Instant(nanoseconds: 1_000_000_000_000 + UInt64(seconds) * 1_000_000_000) }

    @Test("a third of the members failing within the window is reported once, with who failed")
    func thirdWithinWindow() {
        var detector = PartitionDetector()
        // 9 others: the third failure (3 of 9) completes it.
        #expect(detector.memberFailed("a", liveOthers: 8, window: window, now: at(0)) == nil)
        #expect(detector.memberFailed("b", liveOthers: 7, window: window, now: at(3)) == nil)
        let suspicion = detector.memberFailed("c", liveOthers: 6, window: window, now: at(6))
        #expect(suspicion == PartitionSuspicion(failed: ["a", "b", "c"], members: 9, window: window))
        // The rest of the same partition is not reported again within the window.
        #expect(detector.memberFailed("d", liveOthers: 5, window: window, now: at(7)) == nil)
        #expect(detector.memberFailed("e", liveOthers: 4, window: window, now: at(8)) == nil)
    }

    @Test("failures spread wider than the window, or one alone in a small cluster, are not a partition")
    func spreadOrSingle() {
        var detector = PartitionDetector()
        #expect(detector.memberFailed("a", liveOthers: 8, window: window, now: at(0)) == nil)
        #expect(detector.memberFailed("b", liveOthers: 7, window: window, now: at(11)) == nil)
        #expect(detector.memberFailed("c", liveOthers: 6, window: window, now: at(22)) == nil)
        var small = PartitionDetector()
        #expect(small.memberFailed("x", liveOthers: 1, window: window, now: at(0)) == nil, "1 of 2 is one crash")
        #expect(small.memberFailed("y", liveOthers: 0, window: window, now: at(1)) != nil, "2 of 2 is not")
    }

    @Test("a member failing again (it came back in between) counts once")
    func sameMemberCountsOnce() {
        var detector = PartitionDetector()
        #expect(detector.memberFailed("a", liveOthers: 5, window: window, now: at(0)) == nil)
        #expect(detector.memberFailed("a", liveOthers: 5, window: window, now: at(2)) == nil)
    }
}
