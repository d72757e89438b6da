import Synchronization

/// The queue between the event loop and one consumer of a delivery stream.
///
/// `AsyncStream`'s own buffering drops silently, and an element it dropped cannot be turned into a notice
/// in the stream, so the node keeps its own queue: `push` (loop thread) never waits; `next` (the consumer's
/// task) reports a gap as ``Delivery/lagged(missed:)`` before the element that follows it.
final class DeliveryBuffer<Element: Sendable>: Sendable {
    private struct State {
        /// Consumed slots are nil, so a read message's payload is freed at once, not at the next compaction.
        var items: [Element?] = []
        /// Index of the oldest entry in `items`: popping moves it instead of shifting the array.
        var head = 0
        var unreported = 0
        var dropped: UInt64 = 0
        var waiter: CheckedContinuation<Delivery<Element>?, Never>?
        /// Finished by the node, or the consumer's task was cancelled (as `AsyncStream` ends then).
        var finished = false

        var count: Int { items.count - head }

        mutating func popFirst() -> Element? {
            guard head < items.count else { return nil }
            let element = items[head]
            items[head] = nil
            head += 1
            // Reclaim the consumed prefix once it is the larger part of the array.
            if head >= 1024, head * 2 >= items.count {
                items.removeFirst(head)
                head = 0
            }
            return element
        }
    }

    let limit: Int
    let mode: DeliveryMode
    private let state = Mutex(State())

    init(limit: Int, mode: DeliveryMode) {
        self.limit = max(1, limit)
        self.mode = mode
    }

    /// Hands `element` to the consumer or queues it; returns how many entries were dropped to make room
    /// (0 or 1). Never waits.
    @discardableResult
    func push(_ element: Element) -> Int {
        var resume: CheckedContinuation<Delivery<Element>?, Never>?
        let dropped: Int = state.withLock { state in
            guard !state.finished else { return 0 }
            if let waiter = state.waiter {
                // A waiting consumer has read everything, so nothing is queued or unreported.
                state.waiter = nil
                resume = waiter
                return 0
            }
            var dropped = 0
            if mode == .dropOldest, state.count >= limit {
                _ = state.popFirst()
                state.unreported += 1
                state.dropped += 1
                dropped = 1
            }
            state.items.append(element)
            return dropped
        }
        resume?.resume(returning: .delivered(element))
        return dropped
    }

    /// Ends the stream: the consumer reads what is queued, then nil.
    func finish() {
        let waiter: CheckedContinuation<Delivery<Element>?, Never>? = state.withLock { state in
            state.finished = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: nil)
    }

    /// The next entry; nil once finished and drained, or once the consumer's task is cancelled.
    func next() async -> Delivery<Element>? {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Delivery<Element>?, Never>) in
                let ready: Delivery<Element>?? = state.withLock { state in
                    if state.unreported > 0 {
                        defer { state.unreported = 0 }
                        return .some(.lagged(missed: state.unreported))
                    }
                    if let element = state.popFirst() { return .some(.delivered(element)) }
                    if state.finished || Task.isCancelled { return .some(nil) }
                    state.waiter = continuation
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            let waiter: CheckedContinuation<Delivery<Element>?, Never>? = state.withLock { state in
                state.finished = true
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume(returning: nil)
        }
    }

    var status: DeliveryBufferStatus {
        state.withLock { DeliveryBufferStatus(buffered: $0.count, dropped: $0.dropped, unreported: $0.unreported) }
    }

    /// The entries as an `AsyncStream` (one consumer).
    func stream() -> AsyncStream<Delivery<Element>> {
        AsyncStream(unfolding: { await self.next() })
    }

    /// The elements alone, gaps skipped (they are still counted and reported to health).
    func elements() -> AsyncStream<Element> {
        AsyncStream(unfolding: {
            while let entry = await self.next() {
                if case .delivered(let element) = entry { return element }
            }
            return nil
        })
    }
}

/// What a ``DeliveryBuffer`` holds and has lost, for health.
struct DeliveryBufferStatus: Equatable {
    /// Entries waiting for the consumer.
    var buffered: Int
    /// Entries dropped since the buffer was made.
    var dropped: UInt64
    /// Dropped entries the consumer has not been told of yet.
    var unreported: Int
}
