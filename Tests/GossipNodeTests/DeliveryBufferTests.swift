import Testing
@testable import GossipNode

/// The queue between the loop and the application, without a node.
@Suite struct DeliveryBufferTests {
    @Test("at the limit the oldest goes, and the consumer reads the gap before what follows it")
    func lagReportedAtTheGap() async {
        let buffer = DeliveryBuffer<Int>(limit: 3, mode: .dropOldest)
        var dropped = 0
        for value in 1...7 { dropped += buffer.push(value) }
        #expect(dropped == 4)
        #expect(buffer.status == DeliveryBufferStatus(buffered: 3, dropped: 4, unreported: 4))
        #expect(await buffer.next() == .lagged(missed: 4))
        #expect(buffer.status.unreported == 0)
        #expect(await buffer.next() == .delivered(5))
        // 6 and 7 wait; three more push both out: a second gap, reported on its own.
        for value in 8...10 { buffer.push(value) }
        #expect(await buffer.next() == .lagged(missed: 2))
        #expect(await buffer.next() == .delivered(8))
        buffer.finish()
        #expect(await buffer.next() == .delivered(9))
        #expect(await buffer.next() == .delivered(10))
        #expect(await buffer.next() == nil)
        #expect(buffer.status.dropped == 6)
        #expect(buffer.push(11) == 0, "nothing is queued or dropped after finish")
    }

    @Test("unbounded keeps everything past the limit")
    func unboundedKeepsAll() async {
        let buffer = DeliveryBuffer<Int>(limit: 2, mode: .unbounded)
        for value in 1...5_000 { #expect(buffer.push(value) == 0) }
        #expect(buffer.status == DeliveryBufferStatus(buffered: 5_000, dropped: 0, unreported: 0))
        for value in 1...5_000 { #expect(await buffer.next() == .delivered(value)) }
    }

    @Test("a waiting consumer gets the next push; cancelling it ends the stream")
    func waitingConsumer() async throws {
        let buffer = DeliveryBuffer<Int>(limit: 4, mode: .dropOldest)
        let reader = Task { await buffer.next() }
        // The push lands either in the waiting consumer or in the queue it then reads: the same answer.
        try await Task.sleep(for: .milliseconds(20))
        buffer.push(1)
        #expect(await reader.value == .delivered(1))

        let cancelled = Task { await buffer.next() }
        try await Task.sleep(for: .milliseconds(20))
        cancelled.cancel()
        #expect(await cancelled.value == nil, "a cancelled consumer's wait ends")
    }

    @Test("messages skips the lag notice; the elements keep their order")
    func elementsSkipGaps() async {
        let buffer = DeliveryBuffer<Int>(limit: 2, mode: .dropOldest)
        for value in 1...4 { buffer.push(value) }
        buffer.finish()
        var read: [Int] = []
        for await value in buffer.elements() { read.append(value) }
        #expect(read == [3, 4])
    }
}
