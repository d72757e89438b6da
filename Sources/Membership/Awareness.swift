/// Lifeguard's local health awareness (memberlist awareness.go).
///
/// A node that misses acks may be the slow one: instead of suspecting others too eagerly it raises its own
/// score, and its probe interval and probe timeout grow to `(score + 1)` times their base.
public struct Awareness: Sendable, Equatable {
    /// 0 is healthy; at most `maxMultiplier - 1`.
    public private(set) var score: Int
    /// The largest factor timeouts are scaled by (`AwarenessMaxMultiplier`).
    public let maxMultiplier: Int

    public init(maxMultiplier: Int) {
        self.maxMultiplier = Swift.max(1, maxMultiplier)
        self.score = 0
    }

    /// Moves the score by `delta`, clamped to `0...(maxMultiplier - 1)`. Returns whether it changed.
    @discardableResult
    public mutating func apply(delta: Int) -> Bool {
        let before = score
        score = Swift.min(Swift.max(0, score + delta), maxMultiplier - 1)
        return score != before
    }

    /// `timeout x (score + 1)`.
    public func scale(_ timeout: Duration) -> Duration {
        timeout * (score + 1)
    }
}
