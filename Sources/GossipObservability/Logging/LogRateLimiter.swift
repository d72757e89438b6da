import Logging
import ProtocolSupport
import Synchronization

/// Keeps floods out of the logs: at most ``limit`` lines per key per window; the lines over it are
/// counted, and the first line allowed after them is preceded by one "suppressed K lines" line.
///
/// Used for events an attacker or a failing network can repeat without bound (refused packets, cache
/// evictions). Time comes from the caller; the number of keys tracked is bounded, so keys taken from
/// untrusted input (a sender address) cannot grow memory without limit.
public final class LogRateLimiter: Sendable {
    /// What to do with one line.
    public enum Decision: Equatable, Sendable {
        /// Log it; `suppressedBefore` lines of this key were dropped since the last one logged.
        case log(suppressedBefore: Int)
        /// Drop it (it is counted).
        case suppress
    }

    public let limit: Int
    public let window: Duration
    public let maximumKeys: Int
    private let state = Mutex<[String: KeyState]>([:])

    private struct KeyState {
        var windowStart: Instant
        var logged: Int
        var suppressed: Int
    }

    /// At most `limit` lines per `window` per key, tracking at most `maximumKeys` keys.
    public init(limit: Int = 10, window: Duration = .seconds(60), maximumKeys: Int = 1024) {
        self.limit = max(1, limit)
        self.window = window
        self.maximumKeys = max(1, maximumKeys)
    }

    /// Whether a line for `key` at `now` is logged.
    public func decide(key: String, now: Instant) -> Decision {
        state.withLock { keys in
            if var entry = keys[key] {
                if now.duration(since: entry.windowStart) >= window {
                    entry.windowStart = now
                    entry.logged = 0
                }
                if entry.logged < limit {
                    let suppressed = entry.suppressed
                    entry.logged += 1
                    entry.suppressed = 0
                    keys[key] = entry
                    return .log(suppressedBefore: suppressed)
                }
                entry.suppressed += 1
                keys[key] = entry
                return .suppress
            }
            if keys.count >= maximumKeys { Self.evictOldest(&keys) }
            keys[key] = KeyState(windowStart: now, logged: 1, suppressed: 0)
            return .log(suppressedBefore: 0)
        }
    }

    /// Lines dropped for `key` and not yet reported.
    public func pendingSuppressed(key: String) -> Int {
        state.withLock { $0[key]?.suppressed ?? 0 }
    }

    /// Logs `message` through `logger` unless `key` is over its limit; first reports the lines dropped
    /// since the last one logged.
    public func log(
        _ logger: Logger, level: Logger.Level, key: String, now: Instant, _ message: @autoclosure () -> Logger.Message,
        metadata: @autoclosure () -> Logger.Metadata? = nil
    ) {
        // Lines below the logger's level are not counted: they would never be written anyway.
        guard logger.logLevel <= level else { return }
        switch decide(key: key, now: now) {
        case .suppress:
            return
        case .log(let suppressed):
            if suppressed > 0 {
                logger.log(level: level, "suppressed \(suppressed) lines", metadata: ["rate_limit_key": .string(key), "suppressed": .stringConvertible(suppressed)])
            }
            logger.log(level: level, message(), metadata: metadata())
        }
    }

    private static func evictOldest(_ keys: inout [String: KeyState]) {
        // The oldest window is the least useful to keep; ties broken by key so eviction is deterministic.
        guard let oldest = keys.min(by: { ($0.value.windowStart, $0.key) < ($1.value.windowStart, $1.key) }) else { return }
        keys.removeValue(forKey: oldest.key)
    }
}
