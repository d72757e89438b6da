/// The queries this node has seen, so that each is answered and gossiped on once: serf's query clock and
/// its ring of recent queries (`queryBuffer`, 512 Lamport times), with serf's rule for a query too old to
/// judge. Bounded: one slot per Lamport time modulo the ring's size.
struct SerfQueryLog: Sendable {
    /// serf's `QueryBuffer` default.
    static let capacity = 512

    /// serf's query Lamport clock: above every query time witnessed.
    private(set) var clock: UInt64 = 0
    private var ring: [(ltime: UInt64, ids: [UInt32])?] = Array(repeating: nil, count: capacity)

    enum Verdict: Equatable {
        case new
        case duplicate
        /// Older than the ring remembers: it may have been seen, so it is ignored (serf warns the same).
        case tooOld
    }

    /// serf's `LamportClock.Witness`.
    mutating func witness(_ ltime: UInt64) {
        if ltime >= clock { clock = ltime &+ 1 }
    }

    /// Records the query and says whether it is new (serf's `handleQuery` before any filter).
    mutating func record(ltime: UInt64, id: UInt32) -> Verdict {
        witness(ltime)
        let span = UInt64(Self.capacity)
        if clock > span, ltime < clock - span { return .tooOld }
        let slot = Int(ltime % span)
        if let seen = ring[slot], seen.ltime == ltime {
            if seen.ids.contains(id) { return .duplicate }
            // serf keeps every id of one Lamport time; a bound keeps a flood of ids from growing it.
            guard seen.ids.count < 64 else { return .duplicate }
            ring[slot] = (ltime, seen.ids + [id])
        } else {
            ring[slot] = (ltime, [id])
        }
        return .new
    }
}
