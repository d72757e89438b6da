import Membership
import ProtocolSupport

/// Which failed members and seeds to contact again, and when: a schedule without I/O.
///
/// Each target keeps its own backoff: the first attempt ``ReconnectConfig/firstRetry`` after it failed,
/// then the wait doubles up to ``ReconnectConfig/interval``, jittered to between 3/4 and 5/4 of it so that
/// the nodes of one side do not try in step. One attempt is in flight at a time, and attempts are at least
/// ``ReconnectConfig/spacing`` apart. A target is chosen earliest-due first, ties in name order, so the
/// schedule does not depend on a hash seed.
package struct Reconnector: Sendable {
    package struct Target: Sendable, Equatable {
        /// The failed member's name, or nil for a seed.
        package var member: String?
        /// A failed member's address, or a seed: an address, or a name the node core resolves again at
        /// every attempt.
        package var target: Seed
        package var failedAt: Instant
        package var due: Instant
        package var attempts: Int
    }

    let config: ReconnectConfig
    /// Failed members by name.
    private(set) var failed: [String: Target] = [:]
    /// Seeds of the last join, tried while the node knows no other live member.
    private(set) var seeds: [Target] = []
    /// The attempt in flight, if any, and when to stop waiting for its outcome (an outcome that never
    /// comes must not stop every later attempt).
    private(set) var inFlight: (member: String?, target: Seed)?
    private var inFlightUntil: Instant = .zero
    private var notBefore: Instant

    init(config: ReconnectConfig, now: Instant) {
        self.config = config
        self.notBefore = now
    }

    // MARK: What membership reports

    /// `name` was declared dead: it is retried until it comes back, leaves, or the timeout passes.
    mutating func memberFailed(_ name: String, address: SocketAddress, now: Instant, random: inout SeededRandom) {
        guard config.isEnabled else { return }
        failed[name] = Target(member: name, target: .address(address), failedAt: now,
                              due: now + jittered(config.firstRetry, &random), attempts: 0)
    }

    /// `name` is alive again, or left on purpose: no more attempts.
    mutating func memberBack(_ name: String) {
        failed[name] = nil
    }

    /// The seeds the application joined through; they are retried while the node is alone.
    mutating func setSeeds(_ given: [Seed], now: Instant, random: inout SeededRandom) {
        guard config.retrySeeds else { return }
        seeds = given.map { Target(member: nil, target: $0, failedAt: now,
                                       due: now + jittered(config.firstRetry, &random), attempts: 0) }
    }

    // MARK: Scheduling

    /// When ``nextAttempt(alone:now:random:)`` may next have something to do; nil when nothing is waiting.
    func nextDeadline(alone: Bool) -> Instant? {
        guard inFlight == nil else { return inFlightUntil }
        var next: Instant?
        for target in failed.values { next = min(next ?? target.due, target.due) }
        if alone { for target in seeds { next = min(next ?? target.due, target.due) } }
        // Expiry also needs the timer: the earliest failure plus the timeout.
        for target in failed.values { next = min(next ?? target.failedAt + config.timeout, target.failedAt + config.timeout) }
        return next.map { max($0, notBefore) }
    }

    /// Drops members failed for longer than the timeout, and returns them.
    mutating func expire(now: Instant) -> [String] {
        let expired = failed.values.filter { now >= $0.failedAt + config.timeout }.compactMap(\.member).sorted()
        for name in expired { failed[name] = nil }
        return expired
    }

    /// The target to push/pull with now, if one is due; it stays in flight until ``finished(_:now:random:)``.
    mutating func nextAttempt(alone: Bool, now: Instant, random: inout SeededRandom) -> Target? {
        if inFlight != nil, now >= inFlightUntil { inFlight = nil }
        guard inFlight == nil, now >= notBefore else { return nil }
        var best: Target?
        func consider(_ target: Target) {
            guard target.due <= now else { return }
            if let current = best {
                if target.due < current.due || (target.due == current.due && (target.member ?? "") < (current.member ?? "")) {
                    best = target
                }
            } else {
                best = target
            }
        }
        for target in failed.values { consider(target) }
        if alone { for target in seeds { consider(target) } }
        guard var chosen = best else { return nil }
        chosen.attempts += 1
        let wait = jittered(backoff(after: chosen.attempts), &random)
        chosen.due = now + wait
        store(chosen)
        inFlight = (chosen.member, chosen.target)
        inFlightUntil = now + config.attemptTimeout
        notBefore = now + config.spacing
        return chosen
    }

    /// The attempt to `target` ended (for a name: its lookup failed, or every address it gave answered).
    /// On success the member's own alive will arrive through the merged state; until it does the member
    /// keeps its backoff.
    mutating func finished(_ target: Seed) -> (member: String?, target: Seed)? {
        guard let current = inFlight, current.target == target else { return nil }
        inFlight = nil
        return current
    }

    /// Whether `target` is the attempt in flight.
    func isInFlight(_ target: Seed) -> Bool { inFlight?.target == target }

    // MARK: Internals

    private func backoff(after attempts: Int) -> Duration {
        var wait = config.firstRetry
        for _ in 0..<min(attempts, 32) where wait < config.interval { wait = wait * 2 }
        return min(wait, config.interval)
    }

    private func jittered(_ duration: Duration, _ random: inout SeededRandom) -> Duration {
        let nanos = max(1, duration.nanosecondsClamped)
        let quarter = UInt64(max(1, nanos / 4))
        let offset = Int64(random.next(upperBound: 2 * quarter)) - Int64(quarter)
        return .nanoseconds(max(1, nanos + offset))
    }

    private mutating func store(_ target: Target) {
        if let name = target.member {
            failed[name] = target
        } else if let index = seeds.firstIndex(where: { $0.target == target.target }) {
            seeds[index] = target
        }
    }
}
