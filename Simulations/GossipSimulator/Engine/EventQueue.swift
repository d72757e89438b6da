import ProtocolSupport

/// A min-heap of events ordered by (time, sequence number).
///
/// The sequence number is the order in which events were scheduled, so two events due at the same virtual
/// instant always run in the order they were scheduled: ties never depend on heap layout, and a run is
/// reproducible from its seed.
///
/// The heap itself holds plain keys (time, sequence, where the payload waits); payloads stay put in a
/// side table until popped. Sifting then moves 24-byte values with no reference counting, where moving
/// payloads (which carry byte buffers) cost a retain and a release per step on every push and pop.
///
/// The one event heap of the project's simulations: the simulator's engine runs on it, and so do the core
/// tests' own small networks (`SimulatedCluster`, `SimulatedNetwork`).
package struct EventQueue<Payload> {
    package struct Entry {
        package var time: UInt64
        package var sequence: UInt64
        package var payload: Payload
    }

    private struct Key {
        var time: UInt64
        var sequence: UInt64
        /// Index of the payload in `payloads`.
        var slot: Int

        @inline(__always)
        func precedes(_ other: Key) -> Bool {
            time != other.time ? time < other.time : sequence < other.sequence
        }
    }

    private var heap: [Key] = []
    private var payloads: [Payload?] = []
    /// Indices of `payloads` that hold nothing, reused before the table grows.
    private var freeSlots: [Int] = []
    private var nextSequence: UInt64 = 0

    package init() {}

    package var count: Int { heap.count }
    package var isEmpty: Bool { heap.isEmpty }
    /// The time of the earliest event, if any.
    package var nextTime: UInt64? { heap.first?.time }

    package mutating func push(at time: Instant, _ payload: Payload) {
        let slot: Int
        if let free = freeSlots.popLast() {
            payloads[free] = payload
            slot = free
        } else {
            payloads.append(payload)
            slot = payloads.count - 1
        }
        heap.append(Key(time: time.nanoseconds, sequence: nextSequence, slot: slot))
        nextSequence &+= 1
        siftUp(heap.count - 1)
    }

    package mutating func pop() -> Entry? {
        guard let top = heap.first else { return nil }
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            siftDown(0)
        }
        let payload = payloads[top.slot].take()!
        freeSlots.append(top.slot)
        return Entry(time: top.time, sequence: top.sequence, payload: payload)
    }

    private mutating func siftUp(_ start: Int) {
        heap.withUnsafeMutableBufferPointer { heap in
            var child = start
            let item = heap[child]
            while child > 0 {
                let parent = (child - 1) / 2
                guard item.precedes(heap[parent]) else { break }
                heap[child] = heap[parent]
                child = parent
            }
            heap[child] = item
        }
    }

    private mutating func siftDown(_ start: Int) {
        heap.withUnsafeMutableBufferPointer { heap in
            var parent = start
            let count = heap.count
            let item = heap[parent]
            while true {
                let left = 2 * parent + 1
                guard left < count else { break }
                var best = left
                let right = left + 1
                if right < count && heap[right].precedes(heap[left]) { best = right }
                guard heap[best].precedes(item) else { break }
                heap[parent] = heap[best]
                parent = best
            }
            heap[parent] = item
        }
    }
}
