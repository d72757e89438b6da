import GossipRuntime
import ProtocolSupport
import Testing

@Suite("Timers: one-shot, repeating, cancellable, and the deadline timer a protocol core drives")
struct TimerTests {
    @Test("timers scheduled out of order fire in deadline order, never early")
    func deadlineOrder() async throws {
        try await withLoop { loop in
            let fired = Locked<[(Int, Duration)]>([])
            let delays = [50, 10, 40, 20, 30, 5, 45, 15]
            let started = try await loop.submit { () -> LoopBound<[LoopTimer]> in
                let start = loop.now
                let timers = delays.map { delay in
                    LoopTimer(loop: loop, after: .milliseconds(delay)) {
                        fired.update { $0.append((delay, loop.now.duration(since: start))) }
                    }
                }
                return LoopBound(timers, loop: loop)
            }
            #expect(await eventually { fired.value.count == delays.count })
            #expect(fired.value.map(\.0) == delays.sorted())
            for (delay, elapsed) in fired.value { #expect(elapsed >= .milliseconds(delay)) }
            _ = try await loop.submit { started.value.forEach { $0.close() } }
        }
    }

    @Test("a cancelled timer never fires; the others still do")
    func cancelling() async throws {
        try await withLoop { loop in
            let fired = Locked<[String]>([])
            _ = try await loop.submit {
                let kept = LoopTimer(loop: loop, after: .milliseconds(30)) { fired.update { $0.append("kept") } }
                let cancelled = LoopTimer(loop: loop, after: .milliseconds(10)) { fired.update { $0.append("cancelled") } }
                cancelled.cancel()
                #expect(!cancelled.isScheduled)
                #expect(kept.isScheduled)
                return 0
            }
            #expect(await eventually { fired.value.count == 1 })
            try await Task.sleep(for: .milliseconds(40))
            #expect(fired.value == ["kept"])
        }
    }

    @Test("a repeating timer keeps firing until cancelled, then stops")
    func repeating() async throws {
        try await withLoop { loop in
            let count = Locked(0)
            let timer = try await loop.submit {
                LoopBound(LoopTimer(loop: loop, after: .milliseconds(1), repeating: .milliseconds(2)) { count.update { $0 += 1 } }, loop: loop)
            }
            #expect(await eventually { count.value >= 5 })
            let atCancel = try await loop.submit { () -> Int in
                timer.value.cancel()
                return count.value
            }
            try await Task.sleep(for: .milliseconds(30))
            #expect(count.value == atCancel)
            // A cancelled timer can be scheduled again.
            _ = try await loop.submit { timer.value.schedule(after: .milliseconds(1)) { count.update { $0 += 100 } } }
            #expect(await eventually { count.value == atCancel + 100 })
        }
    }

    @Test("the deadline timer follows re-arming: earlier, later, disarmed; it hands over a time at or past the deadline")
    func deadlineTimer() async throws {
        try await withLoop { loop in
            let fired = Locked<[Instant]>([])
            let timer = try await loop.submit {
                LoopBound(DeadlineTimer(loop: loop) { now in fired.update { $0.append(now) } }, loop: loop)
            }
            // Armed late, then pulled earlier: fires once, at the earlier deadline.
            let earlier = try await loop.submit { () -> Instant in
                timer.value.arm(at: loop.now + .milliseconds(500))
                let earlier = loop.now + .milliseconds(15)
                timer.value.arm(at: earlier)
                return earlier
            }
            #expect(await eventually { fired.value.count == 1 })
            #expect(fired.value[0] >= earlier)
            #expect(fired.value[0].duration(since: earlier) < .milliseconds(400))
            #expect(try await loop.submit { timer.value.deadline } == nil)

            // Armed then disarmed: never fires.
            _ = try await loop.submit {
                timer.value.arm(at: loop.now + .milliseconds(10))
                timer.value.arm(at: nil)
            }
            try await Task.sleep(for: .milliseconds(40))
            #expect(fired.value.count == 1)

            // A deadline already past fires on the next iteration.
            let past = try await loop.submit { () -> Instant in
                let past = Instant(nanoseconds: loop.now.nanoseconds - 1_000_000)
                timer.value.arm(at: past)
                return past
            }
            #expect(await eventually { fired.value.count == 2 })
            #expect(fired.value[1] >= past)
        }
    }
}
