import ProtocolSupport

/// A min-heap of events ordered by (time, sequence number).
///
/// The sequence number is the order in which events were scheduled, so two events due at the same virtual
/// instant always run in the order they were scheduled: ties never depend on heap layout, and a run is
/// reproducible from its seed.
struct EventQueue<Payload> {
    struct Entry {
        var time: UInt64
        var sequence: UInt64
        var payload: Payload

        @inline(__always)
        func precedes(_ other: Entry) -> Bool {
            time != other.time ? time < other.time : sequence < other.sequence
        }
    }

    private(set) var entries: [Entry] = []
    private var nextSequence: UInt64 = 0

    var count: Int { entries.count }
    var isEmpty: Bool { entries.isEmpty }
    /// The time of the earliest event, if any.
    var nextTime: UInt64? { entries.first?.time }

    mutating func push(at time: Instant, _ payload: Payload) {
        let entry = Entry(time: time.nanoseconds, sequence: nextSequence, payload: payload)
        nextSequence &+= 1
        entries.append(entry)
        siftUp(entries.count - 1)
    }

    mutating func pop() -> Entry? {
        guard !entries.isEmpty else { return nil }
        if entries.count == 1 { return entries.removeLast() }
        let top = entries[0]
        entries[0] = entries.removeLast()
        siftDown(0)
        return top
    }

    private mutating func siftUp(_ start: Int) {
        var child = start
        let item = entries[child]
        while child > 0 {
            let parent = (child - 1) / 2
            guard item.precedes(entries[parent]) else { break }
            entries[child] = entries[parent]
            child = parent
        }
        entries[child] = item
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        let count = entries.count
        let item = entries[parent]
        while true {
            let left = 2 * parent + 1
            guard left < count else { break }
            var best = left
            let right = left + 1
            if right < count && entries[right].precedes(entries[left]) { best = right }
            guard entries[best].precedes(item) else { break }
            entries[parent] = entries[best]
            parent = best
        }
        entries[parent] = item
    }
}
