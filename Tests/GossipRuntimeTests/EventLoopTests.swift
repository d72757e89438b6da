import GossipRuntime
import ProtocolSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("EventLoop: the way in from other threads, and shutdown")
struct EventLoopTests {
    @Test("submit runs on the loop thread and returns its value; callers are never on it")
    func submitRunsOnLoopThread() async throws {
        try await withLoop { loop in
            #expect(!loop.inLoopThread)
            let onLoop = try await loop.submit { loop.inLoopThread }
            #expect(onLoop)
            let value = try await loop.submit { 6 * 7 }
            #expect(value == 42)
        }
    }

    @Test("errors thrown on the loop reach the submitter")
    func submitRethrows() async throws {
        try await withLoop { loop in
            await #expect(throws: RuntimeError.closed) {
                try await loop.submit { () throws -> Int in throw RuntimeError.closed }
            }
        }
    }

    @Test("execute runs work in submission order")
    func executeKeepsOrder() async throws {
        try await withLoop { loop in
            let seen = Locked<[Int]>([])
            for index in 0..<1_000 {
                #expect(loop.execute { seen.update { $0.append(index) } })
            }
            _ = try await loop.submit { 0 }  // everything queued before this has run
            #expect(seen.value == Array(0..<1_000))
        }
    }

    @Test("8 concurrent tasks submitting while the loop runs: every submission handled exactly once")
    func concurrentSubmissions() async throws {
        try await withLoop { loop in
            let tasks = 8
            let perTask = 2_000
            // The record lives on the loop thread; only loop work touches it.
            let record = try await loop.submit { LoopBound(Record(), loop: loop) }
            // A repeating timer keeps the loop busy with its own work meanwhile.
            let ticker = try await loop.submit {
                LoopBound(LoopTimer(loop: loop, after: .milliseconds(1), repeating: .milliseconds(1)) {}, loop: loop)
            }
            let returned = try await withThrowingTaskGroup(of: [Int].self) { group in
                for task in 0..<tasks {
                    group.addTask {
                        var answers: [Int] = []
                        for index in 0..<perTask {
                            let id = task * perTask + index
                            if index % 2 == 0 {
                                answers.append(try await loop.submit {
                                    record.value.handle(id)
                                    return id
                                })
                            } else {
                                #expect(loop.execute { record.value.handle(id) })
                                answers.append(id)
                            }
                        }
                        return answers
                    }
                }
                var all: [Int] = []
                for try await answers in group { all += answers }
                return all
            }
            let (handled, distinct) = try await loop.submit {
                ticker.value.close()
                return (record.value.ids.count, Set(record.value.ids).count)
            }
            #expect(handled == tasks * perTask)
            #expect(distinct == tasks * perTask)
            #expect(Set(returned) == Set(0..<(tasks * perTask)))
        }
    }

    @Test("neither side waits for the other: execute returns while the loop is busy, a stalled consumer stalls nothing")
    func loopNeverBlocksOnCaller() async throws {
        try await withLoop { loop in
            // The caller does not wait for the loop: queue work behind a 1 s task and time the call.
            #expect(loop.execute { usleep(1_000_000) })
            let clock = ContinuousClock()
            let start = clock.now
            #expect(loop.execute {})
            #expect(clock.now - start < .milliseconds(500))

            // The loop does not wait for the caller: nobody consumes the receiver's stream, yet the loop keeps
            // receiving and its timers keep firing.
            let receiver = try await AsyncUDPSocket.bind(on: loop, to: loopback, receiveBufferSize: 1 << 20, bufferLimit: 100)
            let ticks = Locked(0)
            let tickerStarted = try await loop.submit {
                let sender = try UDPSocket(loop: loop, bindingTo: loopback)
                for index in 0..<300 { sender.send(payload(sequence: index, size: 64), to: receiver.localAddress) }
                sender.close()
                let timer = LoopTimer(loop: loop, after: .milliseconds(2), repeating: .milliseconds(2)) { ticks.update { $0 += 1 } }
                return LoopBound(timer, loop: loop)
            }
            #expect(await eventually { (try? await receiver.statistics().datagramsReceived) == 300 })
            let before = ticks.value
            #expect(await eventually(timeout: .seconds(5)) { ticks.value >= before + 20 })
            #expect(try await receiver.droppedDatagrams() == 200)
            // The stream kept the oldest 100, intact and in order.
            var iterator = receiver.datagrams.makeAsyncIterator()
            for expected in 0..<100 {
                let datagram = try #require(await iterator.next())
                #expect(datagram.bytes == payload(sequence: expected, size: 64))
            }
            _ = try await loop.submit { tickerStarted.value.close() }
            await receiver.close()
        }
    }

    @Test("after shutdown nothing is accepted, and the refusal says why")
    func refusedAfterShutdown() async throws {
        let loop = try EventLoop()
        await loop.shutdown()
        #expect(!loop.execute {})
        await #expect(throws: RuntimeError.loopShutDown) { try await loop.submit { 1 } }
        #expect(RuntimeError.loopShutDown.description.contains("shut down"))
    }

    @Test("shutdown twice, and from several tasks at once")
    func shutdownTwice() async throws {
        let loop = try EventLoop()
        _ = try await loop.submit { LoopBound(LoopTimer(loop: loop, after: .seconds(60)) {}, loop: loop) }
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<4 { group.addTask { await loop.shutdown() } }
        }
        await loop.shutdown()
        loop.syncShutdown()
        #expect(!loop.execute {})
    }

    @Test("loop.now is monotonic and in nanoseconds")
    func nowIsMonotonic() async throws {
        try await withLoop { loop in
            let first = loop.now
            try await Task.sleep(for: .milliseconds(20))
            let second = loop.now
            #expect(second.duration(since: first) >= .milliseconds(19))
            #expect(second.duration(since: first) < .seconds(5))
        }
    }
}

/// Loop-thread record of handled submissions.
final class Record {
    var ids: [Int] = []
    func handle(_ id: Int) { ids.append(id) }
}
