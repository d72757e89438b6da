import Testing
@testable import Membership

@Suite struct BroadcastQueueTests {
    private func take(_ q: inout BroadcastQueue, limit: Int, transmitLimit: Int = 3) -> ([[UInt8]], [BroadcastQueue.Key]) {
        var finished: [BroadcastQueue.Key] = []
        let parts = q.take(overhead: 2, limit: limit, transmitLimit: transmitLimit, finished: &finished)
        return (parts, finished)
    }

    @Test func aNewerFactAboutAMemberReplacesTheOlder() {
        var q = BroadcastQueue()
        q.enqueue([1, 1], key: .member("a"))
        q.enqueue([2], key: .member("b"))
        let replaced = q.enqueue([3, 3, 3], key: .member("a"))
        #expect(replaced)
        #expect(q.count == 2)
        let (parts, _) = take(&q, limit: 100)
        #expect(parts.contains([3, 3, 3]) && parts.contains([2]) && !parts.contains([1, 1]))
    }

    @Test func leastTransmittedFirstThenLargestThenNewest() {
        var q = BroadcastQueue()
        q.enqueue([1], key: .member("a"))
        _ = take(&q, limit: 100)  // "a" now sent once
        q.enqueue([2, 2], key: .member("b"))
        q.enqueue([3, 3, 3], key: .member("c"))
        q.enqueue([4, 4, 4], key: .member("d"))
        let (parts, _) = take(&q, limit: 100)
        #expect(parts == [[4, 4, 4], [3, 3, 3], [2, 2], [1]])
    }

    @Test func onlyWhatFitsIsTakenAndTheRestWaits() {
        var q = BroadcastQueue()
        q.enqueue(Array(repeating: 9, count: 10), key: .member("big"))
        q.enqueue([1, 2, 3], key: .member("small"))
        // 10 + 2 overhead fits, 3 + 2 more does not fit into 15.
        let (first, _) = take(&q, limit: 15)
        #expect(first == [Array(repeating: 9, count: 10)])
        let (second, _) = take(&q, limit: 5)
        #expect(second == [[1, 2, 3]])
        let (none, _) = take(&q, limit: 4)
        #expect(none.isEmpty)
    }

    @Test func factsAreDroppedAfterTheTransmitLimit() {
        var q = BroadcastQueue()
        q.enqueue([7], key: .user("x"))
        var sends = 0
        var finishedKeys: [BroadcastQueue.Key] = []
        for _ in 0..<10 {
            let (parts, finished) = take(&q, limit: 100, transmitLimit: 4)
            sends += parts.count
            finishedKeys += finished
        }
        #expect(sends == 4)
        #expect(finishedKeys == [.user("x")])
        #expect(q.isEmpty)
    }

    @Test func messagesForTheLayerAboveAreBoundedOldestFirstAndMemberFactsAreKept() {
        var q = BroadcastQueue()
        q.enqueue([1, 2, 3], key: .member("a"))
        for i in 0..<10 { q.enqueue([UInt8(i), 0, 0, 0], key: .user("q\(i)")) }
        #expect(q.pruneUserMessages(keepingAtMost: 4, bytes: 1 << 20) == 6)
        #expect(q.contains(.member("a")))
        #expect((0..<6).allSatisfy { !q.contains(.user("q\($0)")) } && (6..<10).allSatisfy { q.contains(.user("q\($0)")) })
        // The byte bound drops the oldest too: 4 messages of 4 bytes held in 10 bytes leave 2.
        #expect(q.pruneUserMessages(keepingAtMost: 100, bytes: 10) == 2)
        #expect(q.contains(.user("q8")) && q.contains(.user("q9")) && !q.contains(.user("q7")))
        #expect(q.count == 3)
    }
}
