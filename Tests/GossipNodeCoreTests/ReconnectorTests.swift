@testable import GossipNodeCore
import ProtocolSupport
import Testing

@Suite("Reconnector: the schedule of attempts to reach failed members and seeds again")
struct ReconnectorTests {
    static let a = SocketAddress(ipv4: 10, 0, 0, 1, port: 7946)
    static let b = SocketAddress(ipv4: 10, 0, 0, 2, port: 7946)
    static let seed = SocketAddress(ipv4: 10, 0, 0, 9, port: 7946)

    static func at(_ seconds: Double) -> Instant { Instant(nanoseconds: UInt64(seconds * 1e9)) }

    @Test("a failed member is first tried about firstRetry later, then with a doubling wait up to the interval")
    func backoff() {
        var config = ReconnectConfig()
        config.firstRetry = .seconds(2)
        config.interval = .seconds(30)
        var schedule = Reconnector(config: config, now: .zero)
        var random = SeededRandom(seed: 1)
        schedule.memberFailed("a", address: Self.a, now: .zero, random: &random)
        let first = try! #require(schedule.nextDeadline(alone: false))
        #expect(first >= Self.at(1.5) && first <= Self.at(2.5))
        #expect(schedule.nextAttempt(alone: false, now: Self.at(1.4), random: &random) == nil)

        var now = first
        var waits: [Double] = []
        for _ in 0..<7 {
            let attempt = try! #require(schedule.nextAttempt(alone: false, now: now, random: &random))
            #expect(attempt.member == "a" && attempt.target == .address(Self.a))
            // Nothing more while the attempt is in flight, until its own timeout.
            #expect(schedule.nextDeadline(alone: false) == now + config.attemptTimeout)
            #expect(schedule.nextAttempt(alone: false, now: now + .seconds(1), random: &random) == nil)
            #expect(schedule.finished(.address(Self.a)) != nil)
            let next = try! #require(schedule.nextDeadline(alone: false))
            waits.append(Double(next.nanoseconds - now.nanoseconds) / 1e9)
            now = next
        }
        // 4, 8, 16, then capped at 30, each within a quarter either way.
        for (wait, nominal) in zip(waits, [4.0, 8, 16, 30, 30, 30, 30]) {
            #expect(wait >= nominal * 0.75 - 0.001 && wait <= nominal * 1.25 + 0.001, "wait \(wait) for nominal \(nominal)")
        }
    }

    @Test("attempts are spaced and one at a time, earliest due first, ties in name order")
    func spacingAndOrder() {
        var config = ReconnectConfig()
        config.spacing = .seconds(5)
        var schedule = Reconnector(config: config, now: .zero)
        var random = SeededRandom(seed: 2)
        schedule.memberFailed("b", address: Self.b, now: .zero, random: &random)
        schedule.memberFailed("a", address: Self.a, now: .zero, random: &random)
        let late = Self.at(10)
        let first = try! #require(schedule.nextAttempt(alone: false, now: late, random: &random))
        _ = schedule.finished(first.target)
        // Both were due at once; the second must wait out the spacing.
        #expect(schedule.nextAttempt(alone: false, now: late + .seconds(4), random: &random) == nil)
        let second = try! #require(schedule.nextAttempt(alone: false, now: late + .seconds(5), random: &random))
        #expect(Set([first.member, second.member]) == ["a", "b"])
    }

    @Test("a member that comes back or leaves is not tried again; one failed past the timeout expires")
    func removalAndExpiry() {
        var config = ReconnectConfig()
        config.timeout = .seconds(60)
        var schedule = Reconnector(config: config, now: .zero)
        var random = SeededRandom(seed: 3)
        schedule.memberFailed("a", address: Self.a, now: .zero, random: &random)
        schedule.memberFailed("b", address: Self.b, now: .zero, random: &random)
        schedule.memberBack("a")
        #expect(schedule.failed.keys.sorted() == ["b"])
        #expect(schedule.expire(now: Self.at(59)).isEmpty)
        #expect(schedule.expire(now: Self.at(60)) == ["b"])
        #expect(schedule.nextDeadline(alone: false) == nil)
    }

    @Test("seeds are tried only while the node is alone")
    func seedsWhileAlone() {
        var schedule = Reconnector(config: ReconnectConfig(), now: .zero)
        var random = SeededRandom(seed: 4)
        schedule.setSeeds([.address(Self.seed)], now: .zero, random: &random)
        #expect(schedule.nextDeadline(alone: false) == nil)
        #expect(schedule.nextAttempt(alone: false, now: Self.at(100), random: &random) == nil)
        let attempt = try! #require(schedule.nextAttempt(alone: true, now: Self.at(100), random: &random))
        #expect(attempt.member == nil && attempt.target == .address(Self.seed))
    }

    @Test("an attempt whose outcome never comes stops blocking the others after its timeout")
    func lostOutcome() {
        var config = ReconnectConfig()
        config.attemptTimeout = .seconds(20)
        var schedule = Reconnector(config: config, now: .zero)
        var random = SeededRandom(seed: 6)
        schedule.memberFailed("a", address: Self.a, now: .zero, random: &random)
        schedule.memberFailed("b", address: Self.b, now: .zero, random: &random)
        let first = try! #require(schedule.nextAttempt(alone: false, now: Self.at(5), random: &random))
        #expect(schedule.nextAttempt(alone: false, now: Self.at(24), random: &random) == nil)
        let second = try! #require(schedule.nextAttempt(alone: false, now: Self.at(25), random: &random))
        #expect(second.member != first.member)
        // The late outcome of the first is no longer the one in flight.
        #expect(schedule.finished(first.target) == nil)
    }

    @Test("disabled: nothing is ever scheduled")
    func disabled() {
        var schedule = Reconnector(config: .disabled, now: .zero)
        var random = SeededRandom(seed: 5)
        schedule.memberFailed("a", address: Self.a, now: .zero, random: &random)
        schedule.setSeeds([.address(Self.seed)], now: .zero, random: &random)
        #expect(schedule.nextDeadline(alone: true) == nil)
    }

    @Test("the same seed gives the same schedule")
    func deterministic() {
        func run(_ seed: UInt64) -> [Instant] {
            var schedule = Reconnector(config: ReconnectConfig(), now: .zero)
            var random = SeededRandom(seed: seed)
            for index in 0..<20 {
                schedule.memberFailed("m\(index)", address: SocketAddress(ipv4: 10, 0, 1, UInt8(index), port: 1), now: .zero,
                                      random: &random)
            }
            var times: [Instant] = []
            var now = Instant.zero
            for _ in 0..<40 {
                guard let next = schedule.nextDeadline(alone: false) else { break }
                now = max(now, next)
                if let attempt = schedule.nextAttempt(alone: false, now: now, random: &random) {
                    times.append(now)
                    _ = schedule.finished(attempt.target)
                }
            }
            return times
        }
        #expect(run(7) == run(7))
        #expect(run(7) != run(8))
    }
}
