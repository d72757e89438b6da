import ProtocolSupport
import Synchronization

/// Remembers when the event loop last turned, for `/health/live`.
///
/// The loop calls ``tick(now:)`` from a repeating timer; any thread may ask ``isAlive(now:)``. Both take
/// the time from the caller (the runtime's monotonic clock), so the watchdog itself reads no clock.
public final class LivenessWatchdog: Sendable {
    private let lastTick = Atomic<UInt64>(.max)
    /// Stale after this long without a tick.
    public let timeout: Duration

    public init(timeout: Duration = .seconds(5)) {
        self.timeout = timeout
    }

    /// The loop turned at `now`.
    public func tick(now: Instant) {
        lastTick.store(now.nanoseconds, ordering: .relaxed)
    }

    /// When the loop last ticked; nil before the first tick.
    public var lastTickInstant: Instant? {
        let value = lastTick.load(ordering: .relaxed)
        return value == .max ? nil : Instant(nanoseconds: value)
    }

    /// Whether the loop ticked within ``timeout`` before `now`. False before the first tick.
    public func isAlive(now: Instant) -> Bool {
        guard let last = lastTickInstant else { return false }
        return now.duration(since: last) <= timeout
    }
}
