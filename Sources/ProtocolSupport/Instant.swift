/// A point on a monotonic timeline, in nanoseconds from an origin the driver chooses.
///
/// Protocol cores never read a clock: the libuv runtime passes the loop's monotonic time, the simulator its
/// virtual time. Both are plain nanosecond counts, so a core behaves identically under either driver.
public struct Instant: Comparable, Hashable, Sendable, CustomStringConvertible {
    public var nanoseconds: UInt64

    @inlinable
    public init(nanoseconds: UInt64) { self.nanoseconds = nanoseconds }

    public static let zero = Instant(nanoseconds: 0)

    @inlinable
    public static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.nanoseconds < rhs.nanoseconds }

    /// The instant `duration` later; saturates instead of overflowing, and a negative duration moves back
    /// no further than the origin.
    @inlinable
    public func advanced(by duration: Duration) -> Instant {
        let delta = duration.nanosecondsClamped
        if delta >= 0 {
            let (sum, overflow) = nanoseconds.addingReportingOverflow(UInt64(delta))
            return Instant(nanoseconds: overflow ? .max : sum)
        }
        let back = UInt64(-delta)
        return Instant(nanoseconds: back > nanoseconds ? 0 : nanoseconds - back)
    }

    @inlinable
    public static func + (lhs: Instant, rhs: Duration) -> Instant { lhs.advanced(by: rhs) }

    /// The time from `earlier` to `self`; zero when `earlier` is later.
    @inlinable
    public func duration(since earlier: Instant) -> Duration {
        guard nanoseconds > earlier.nanoseconds else { return .zero }
        return .nanoseconds(Int64(clamping: nanoseconds - earlier.nanoseconds))
    }

    public var description: String {
        let ms = Double(nanoseconds) / 1_000_000
        return "t+\(ms)ms"
    }
}

extension Duration {
    /// The duration in whole nanoseconds, clamped to Int64's range.
    @inlinable
    public var nanosecondsClamped: Int64 {
        let (seconds, attoseconds) = components
        let (ns, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        let (total, overflow2) = ns.addingReportingOverflow(attoseconds / 1_000_000_000)
        if overflow2 { return seconds < 0 ? .min : .max }
        return total
    }

    /// The duration in seconds as a Double, for metrics and reports.
    @inlinable
    public var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    /// This duration multiplied by a non-negative factor (used for Lifeguard and backoff scaling).
    @inlinable
    public func scaled(by factor: Double) -> Duration {
        let product = (Double(nanosecondsClamped) * factor).rounded()
        // Int64(Double) traps past Int64's range and on NaN: clamp while still a Double.
        guard product.isFinite else { return product < 0 ? .nanoseconds(Int64.min) : .nanoseconds(Int64.max) }
        if product >= 9.2e18 { return .nanoseconds(Int64.max) }
        if product <= -9.2e18 { return .nanoseconds(Int64.min) }
        return .nanoseconds(Int64(product))
    }
}
