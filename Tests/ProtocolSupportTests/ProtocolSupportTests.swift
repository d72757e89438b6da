import Testing
@testable import ProtocolSupport

@Suite struct SeededRandomTests {
    @Test func sameSeedSameSequence() {
        var a = SeededRandom(seed: 42)
        var b = SeededRandom(seed: 42)
        for _ in 0..<1000 { #expect(a.next() == b.next()) }
    }

    @Test func differentSeedsDiverge() {
        var a = SeededRandom(seed: 1)
        var b = SeededRandom(seed: 2)
        let same = (0..<100).filter { _ in a.next() == b.next() }.count
        #expect(same == 0)
    }

    @Test func splitStreamsAreIndependentOfParentDraws() {
        var parent = SeededRandom(seed: 7)
        var child = parent.split()
        var replay = SeededRandom(seed: 7)
        var childReplay = replay.split()
        _ = parent.next()
        #expect(child.next() == childReplay.next())
    }

    @Test func rangeDrawsCoverTheRange() {
        var rng = SeededRandom(seed: 3)
        var seen = Set<Int>()
        for _ in 0..<1000 { seen.insert(Int.random(in: 0..<10, using: &rng)) }
        #expect(seen.count == 10)
    }
}

@Suite struct InstantTests {
    @Test func arithmeticSaturates() {
        let t = Instant(nanoseconds: 5)
        #expect(t.advanced(by: .nanoseconds(-10)) == .zero)
        #expect(Instant(nanoseconds: .max - 1).advanced(by: .seconds(1)).nanoseconds == .max)
        #expect(t.advanced(by: .milliseconds(1)).nanoseconds == 1_000_005)
        #expect(Instant(nanoseconds: 10).duration(since: Instant(nanoseconds: 20)) == .zero)
        #expect(Instant(nanoseconds: 3_000_000_000).duration(since: .zero) == .seconds(3))
    }

    @Test func durationConversions() {
        #expect(Duration.milliseconds(1500).nanosecondsClamped == 1_500_000_000)
        #expect(Duration.seconds(2).scaled(by: 1.5) == .seconds(3))
        #expect(abs(Duration.milliseconds(250).seconds - 0.25) < 1e-12)
    }
}
