import ProtocolSupport
import Testing
@testable import Membership

/// memberlist's formulas, checked against values computed by hand from util.go and suspicion.go.
@Suite struct ProtocolMathTests {
    @Test func suspicionTimeoutScalesWithLog10OfMembers() {
        // n <= 10: node scale 1.
        #expect(MembershipMath.suspicionTimeout(suspicionMult: 4, members: 3, probeInterval: .seconds(1)) == .seconds(4))
        // n = 50: log10(50) = 1.69897 -> truncated to 1.698 -> 4 x 1.698 s.
        #expect(MembershipMath.suspicionTimeout(suspicionMult: 4, members: 50, probeInterval: .seconds(1)) == .milliseconds(6792))
        // n = 1000: scale 3.
        #expect(MembershipMath.suspicionTimeout(suspicionMult: 5, members: 1000, probeInterval: .milliseconds(200)) == .seconds(3))
    }

    @Test func retransmitLimitIsMultTimesCeilLog10() {
        #expect(MembershipMath.retransmitLimit(retransmitMult: 4, members: 1) == 4)
        #expect(MembershipMath.retransmitLimit(retransmitMult: 4, members: 9) == 4)
        #expect(MembershipMath.retransmitLimit(retransmitMult: 4, members: 10) == 8)
        #expect(MembershipMath.retransmitLimit(retransmitMult: 4, members: 50) == 8)
        #expect(MembershipMath.retransmitLimit(retransmitMult: 2, members: 100) == 6)
    }

    @Test func pushPullIntervalGrowsAbove32Members() {
        #expect(MembershipMath.pushPullInterval(.seconds(30), members: 32) == .seconds(30))
        #expect(MembershipMath.pushPullInterval(.seconds(30), members: 33) == .seconds(60))
        #expect(MembershipMath.pushPullInterval(.seconds(30), members: 64) == .seconds(60))
        #expect(MembershipMath.pushPullInterval(.seconds(30), members: 65) == .seconds(90))
    }

    @Test func lifeguardConfirmationsShrinkTheTimeoutLogarithmically() {
        let min = Duration.seconds(4), max = Duration.seconds(24)
        #expect(MembershipMath.suspicionTimeout(confirmations: 0, expected: 2, min: min, max: max) == max)
        // 1 of 2: 24 - log(2)/log(3) x 20 = 11.381 s, floored to ms.
        #expect(MembershipMath.suspicionTimeout(confirmations: 1, expected: 2, min: min, max: max) == .milliseconds(11381))
        #expect(MembershipMath.suspicionTimeout(confirmations: 2, expected: 2, min: min, max: max) == min)
        #expect(MembershipMath.suspicionTimeout(confirmations: 0, expected: 0, min: min, max: max) == min)
    }

    @Test func profilesMatchMemberlistDefaults() {
        let lan = MembershipConfig.lan
        #expect(lan.probeInterval == .seconds(1) && lan.probeTimeout == .milliseconds(500))
        #expect(lan.indirectChecks == 3 && lan.suspicionMult == 4 && lan.suspicionMaxTimeoutMult == 6)
        #expect(lan.retransmitMult == 4 && lan.gossipNodes == 3 && lan.gossipInterval == .milliseconds(200))
        #expect(lan.gossipToTheDeadTime == .seconds(30) && lan.pushPullInterval == .seconds(30))
        #expect(lan.tcpTimeout == .seconds(10) && lan.awarenessMaxMultiplier == 8 && lan.udpBufferSize == 1400)
        let wan = MembershipConfig.wan
        #expect(wan.probeInterval == .seconds(5) && wan.probeTimeout == .seconds(3) && wan.suspicionMult == 6)
        #expect(wan.gossipNodes == 4 && wan.gossipToTheDeadTime == .seconds(60) && wan.tcpTimeout == .seconds(30))
        let local = MembershipConfig.local
        #expect(local.indirectChecks == 1 && local.retransmitMult == 2 && local.suspicionMult == 3)
        #expect(local.probeTimeout == .milliseconds(200) && local.gossipInterval == .milliseconds(100))
    }
}

@Suite struct AwarenessTests {
    @Test func scoreIsClampedAndScalesTimeouts() {
        var awareness = Awareness(maxMultiplier: 8)
        let changed = awareness.apply(delta: -1)
        #expect(changed == false)
        #expect(awareness.score == 0)
        #expect(awareness.scale(.milliseconds(500)) == .milliseconds(500))
        awareness.apply(delta: 3)
        #expect(awareness.scale(.seconds(1)) == .seconds(4))
        awareness.apply(delta: 100)
        #expect(awareness.score == 7)
        #expect(awareness.scale(.seconds(1)) == .seconds(8))
        awareness.apply(delta: -2)
        #expect(awareness.score == 5)
    }

    @Test func multiplierOneSwitchesAwarenessOff() {
        var awareness = Awareness(maxMultiplier: 1)
        let changed = awareness.apply(delta: 5)
        #expect(changed == false)
        #expect(awareness.scale(.seconds(1)) == .seconds(1))
    }
}

@Suite struct SuspicionTests {
    @Test func startsAtMaxWhenConfirmationsAreExpected() {
        let start = Instant(nanoseconds: 1_000_000_000)
        let s = Suspicion(from: "a", expected: 2, minimum: .seconds(4), maximum: .seconds(24), now: start)
        #expect(s.deadline == start + .seconds(24))
        let alone = Suspicion(from: "a", expected: 0, minimum: .seconds(4), maximum: .seconds(24), now: start)
        #expect(alone.deadline == start + .seconds(4))
    }

    @Test func independentConfirmationsBringTheDeadlineCloser() {
        let start = Instant.zero
        var s = Suspicion(from: "a", expected: 2, minimum: .seconds(4), maximum: .seconds(24), now: start)
        let selfConfirm = s.confirm(from: "a")
        #expect(selfConfirm == false, "the first accuser does not confirm itself")
        let b = s.confirm(from: "b")
        #expect(b)
        #expect(s.deadline == start + .milliseconds(11381))
        let again = s.confirm(from: "b")
        #expect(again == false, "the same accuser counts once")
        let c = s.confirm(from: "c")
        #expect(c)
        #expect(s.deadline == start + .seconds(4))
        let extra = s.confirm(from: "d")
        #expect(extra == false, "no more than the expected confirmations")
        #expect(s.confirmations == 2)
    }
}
