import ProtocolSupport

/// Graft outcomes (message arrived / given up) over a sliding window, in fixed one-slot-per-interval
/// buckets: the ratio the health model reads is "over the last minute", not since start, and recording
/// never allocates.
public struct GraftOutcomeWindow: Sendable, Equatable {
    /// The window's length.
    public let window: Duration
    private let slotNanoseconds: UInt64
    private var successes: [UInt64]
    private var failures: [UInt64]
    /// The slot index (time / slot length) each ring position currently holds.
    private var epochs: [UInt64]
    /// Last cumulative totals seen by ``observeTotals(successes:failures:at:)``.
    private var lastTotals: (successes: UInt64, failures: UInt64)?

    /// A window of `window` split in `slots` equal slots (the ratio's resolution).
    public init(window: Duration = .seconds(60), slots: Int = 60) {
        let slotCount = max(1, slots)
        self.window = window
        self.slotNanoseconds = max(1, UInt64(clamping: window.nanosecondsClamped) / UInt64(slotCount))
        self.successes = Array(repeating: 0, count: slotCount)
        self.failures = Array(repeating: 0, count: slotCount)
        self.epochs = Array(repeating: .max, count: slotCount)
    }

    /// Records `count` grafted messages that arrived at `now`.
    public mutating func recordSuccess(_ count: UInt64 = 1, at now: Instant) {
        let slot = prepareSlot(now)
        successes[slot] &+= count
    }

    /// Records `count` missing messages given up on at `now`.
    public mutating func recordFailure(_ count: UInt64 = 1, at now: Instant) {
        let slot = prepareSlot(now)
        failures[slot] &+= count
    }

    /// Feeds cumulative totals (e.g. `plumtree_graft_success_total` and `plumtree_graft_failed_total` read
    /// from the node's registry); the increase since the previous call is recorded at `now`. The first call
    /// only sets the baseline, and a total that went down (a restart) starts a new baseline.
    public mutating func observeTotals(successes: UInt64, failures: UInt64, at now: Instant) {
        defer { lastTotals = (successes, failures) }
        guard let last = lastTotals, successes >= last.successes, failures >= last.failures else { return }
        if successes > last.successes { recordSuccess(successes - last.successes, at: now) }
        if failures > last.failures { recordFailure(failures - last.failures, at: now) }
    }

    /// Successes and failures recorded within the window ending at `now`.
    public func totals(at now: Instant) -> (successes: UInt64, failures: UInt64) {
        let current = now.nanoseconds / slotNanoseconds
        let count = UInt64(epochs.count)
        var result: (successes: UInt64, failures: UInt64) = (0, 0)
        for index in epochs.indices {
            let epoch = epochs[index]
            guard epoch != .max, epoch <= current, current - epoch < count else { continue }
            result.successes &+= successes[index]
            result.failures &+= failures[index]
        }
        return result
    }

    /// failures / (successes + failures) within the window ending at `now`; 0 with no outcome.
    public func failureRatio(at now: Instant) -> Double {
        let (ok, failed) = totals(at: now)
        let total = ok &+ failed
        return total == 0 ? 0 : Double(failed) / Double(total)
    }

    private mutating func prepareSlot(_ now: Instant) -> Int {
        let epoch = now.nanoseconds / slotNanoseconds
        let index = Int(epoch % UInt64(epochs.count))
        if epochs[index] != epoch {
            epochs[index] = epoch
            successes[index] = 0
            failures[index] = 0
        }
        return index
    }

    public static func == (lhs: GraftOutcomeWindow, rhs: GraftOutcomeWindow) -> Bool {
        lhs.window == rhs.window && lhs.successes == rhs.successes && lhs.failures == rhs.failures
            && lhs.epochs == rhs.epochs && lhs.lastTotals?.successes == rhs.lastTotals?.successes
            && lhs.lastTotals?.failures == rhs.lastTotals?.failures
    }
}
