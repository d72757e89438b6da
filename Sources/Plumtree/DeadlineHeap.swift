import ProtocolSupport

/// A binary min-heap of (deadline, message id) for graft timers.
///
/// Entries are never removed early: when a missing message arrives, its timer stays in the heap and is
/// recognised as stale when it comes up (the pending record is gone or carries another deadline). This
/// keeps arrival cheap; stale entries are bounded by the messages that were ever pending.
struct DeadlineHeap {
    private var items: [(deadline: Instant, id: MessageID)] = []

    var isEmpty: Bool { items.isEmpty }
    var count: Int { items.count }
    /// The earliest deadline, kept in place so that reading it touches no buffer.
    private(set) var min: Instant?

    mutating func push(_ deadline: Instant, _ id: MessageID) {
        items.append((deadline, id))
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard items[child].deadline < items[parent].deadline else { break }
            items.swapAt(child, parent)
            child = parent
        }
        min = items[0].deadline
    }

    /// Removes and returns the earliest entry if it is due at `now`.
    mutating func popDue(now: Instant) -> (deadline: Instant, id: MessageID)? {
        guard let first = items.first, first.deadline <= now else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1
                let right = left + 1
                var smallest = parent
                if left < items.count, items[left].deadline < items[smallest].deadline { smallest = left }
                if right < items.count, items[right].deadline < items[smallest].deadline { smallest = right }
                if smallest == parent { break }
                items.swapAt(parent, smallest)
                parent = smallest
            }
        }
        min = items.first?.deadline
        return first
    }
}
