import ProtocolSupport

/// One member's suspicion timer with Lifeguard's independent confirmations (memberlist suspicion.go).
///
/// It starts at `max` when confirmations are expected (`k >= 1`), else at `min`. Every distinct member
/// that also suspects the node brings the deadline closer, log-scaled, until `k` confirmations reach `min`.
/// The core keeps one per suspect member and compares `deadline` against the time it is handed.
struct Suspicion: Sendable {
    /// Confirmations expected before the timeout reaches its minimum.
    let expected: Int
    let minimum: Duration
    let maximum: Duration
    let start: Instant
    /// Who suspected the node, the first accuser included; a set because order never matters here.
    private(set) var accusers: Set<String>
    /// Independent confirmations received after the first accusation.
    private(set) var confirmations: Int
    /// When the member is declared dead unless it refutes first.
    private(set) var deadline: Instant

    init(from accuser: String, expected: Int, minimum: Duration, maximum: Duration, now: Instant) {
        self.expected = expected
        self.minimum = minimum
        self.maximum = maximum
        self.start = now
        self.accusers = [accuser]
        self.confirmations = 0
        self.deadline = now + (expected < 1 ? minimum : maximum)
    }

    /// Counts a new accuser. Returns true when it was new and counted, so the suspicion is worth
    /// re-gossiping; false once `expected` confirmations were reached or the accuser was already known.
    mutating func confirm(from accuser: String) -> Bool {
        guard confirmations < expected, !accusers.contains(accuser) else { return false }
        accusers.insert(accuser)
        confirmations += 1
        let timeout = MembershipMath.suspicionTimeout(
            confirmations: confirmations, expected: expected, min: minimum, max: maximum)
        deadline = start + timeout
        return true
    }
}
