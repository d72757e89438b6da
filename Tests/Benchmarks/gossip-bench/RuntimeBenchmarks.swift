// Runtime benchmarks: UDP echo on loopback through GossipRuntime, the same exchange as the C baseline
// (Tests/Benchmarks/uv-echo-baseline.c, built and run beside this suite by run.sh): one loop, an echo socket
// and a client keeping `window` datagrams in flight, a new one sent for every echo.
import GossipRuntime
import ProtocolSupport
import Dispatch
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

let runtimeBenchmarks: [BenchmarkSuite] = [
    BenchmarkSuite(name: "runtime") { udpEchoBenchmark() }
]

private let echoPayloadSize = 64
private let echoWindow = 16
private let echoRoundTrips = 50_000
private let echoRepeats = 5

/// CPU time of the calling thread, in nanoseconds.
private func threadCPUNanos() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now)
    return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
}

private struct EchoRun: Sendable {
    var wallNanos: UInt64
    var cpuNanos: UInt64
    var completed: Bool
}

/// One timed run: `echoRoundTrips` echoes, measured on the loop thread.
private func runEcho(on loop: EventLoop) -> EchoRun {
    let outcome = Mutex<EchoRun?>(nil)
    // The caller sleeps until the loop signals: a polling caller would compete with the loop for a core.
    let finished = DispatchSemaphore(value: 0)
    let started = loop.execute {
        do {
            let echo = try UDPSocket(loop: loop, bindingTo: SocketAddress(ipv4: 127, 0, 0, 1, port: 0))
            let client = try UDPSocket(loop: loop, bindingTo: SocketAddress(ipv4: 127, 0, 0, 1, port: 0))
            let target = echo.localAddress
            let payload = [UInt8](repeating: 0x78, count: echoPayloadSize)
            var sent = 0
            var received = 0
            var receivedAtLastCheck = 0
            let startWall = loop.now
            let startCPU = threadCPUNanos()
            let watchdog = LoopTimer(loop: loop)
            func finish(completed: Bool) {
                let run = EchoRun(
                    wallNanos: loop.now.nanoseconds - startWall.nanoseconds, cpuNanos: threadCPUNanos() - startCPU,
                    completed: completed)
                echo.close()
                client.close()
                watchdog.close()
                outcome.withLock { $0 = run }
                finished.signal()
            }
            try echo.startReceiving { bytes, source in echo.send(bytes, to: source) }
            try client.startReceiving { _, _ in
                received += 1
                if received >= echoRoundTrips {
                    finish(completed: true)
                } else if sent < echoRoundTrips {
                    payload.withUnsafeBytes { client.send($0, to: target) }
                    sent += 1
                }
            }
            // A lost datagram would stall the window forever: give up after a second without progress.
            watchdog.schedule(after: .seconds(1), repeating: .seconds(1)) {
                if received == receivedAtLastCheck { finish(completed: false) }
                receivedAtLastCheck = received
            }
            for _ in 0..<echoWindow {
                payload.withUnsafeBytes { client.send($0, to: target) }
                sent += 1
            }
        } catch {
            print("runtime benchmark: \(error)")
            outcome.withLock { $0 = EchoRun(wallNanos: 0, cpuNanos: 0, completed: false) }
            finished.signal()
        }
    }
    guard started else { return EchoRun(wallNanos: 0, cpuNanos: 0, completed: false) }
    finished.wait()
    return outcome.withLock { $0 } ?? EchoRun(wallNanos: 0, cpuNanos: 0, completed: false)
}

private func udpEchoBenchmark() -> [BenchmarkResult] {
    guard let loop = try? EventLoop(name: "bench-loop") else { return [] }
    defer { loop.syncShutdown() }
    _ = runEcho(on: loop)  // warm-up
    var wall: [Double] = []
    var cpu: [Double] = []
    for _ in 0..<echoRepeats {
        let run = runEcho(on: loop)
        guard run.completed else {
            return [BenchmarkResult(name: "udp echo through GossipRuntime", value: 0, unit: "datagrams/s", note: "stalled: a datagram was lost")]
        }
        wall.append(Double(echoRoundTrips) / (Double(run.wallNanos) / 1e9))
        cpu.append(Double(echoRoundTrips) / (Double(run.cpuNanos) / 1e9))
    }
    return [
        BenchmarkResult(
            name: "udp echo through GossipRuntime", value: median(wall), unit: "datagrams/s",
            note: "\(echoPayloadSize)-byte payloads, \(echoWindow) in flight, median of \(echoRepeats) x \(echoRoundTrips) round trips"),
        BenchmarkResult(
            name: "udp echo through GossipRuntime, per loop-thread CPU second", value: median(cpu), unit: "datagrams/s",
            note: "same runs, loop thread CPU time"),
    ]
}
