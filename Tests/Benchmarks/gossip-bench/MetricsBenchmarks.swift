// Metrics benchmarks: the cost of recording through our path (a swift-metrics object made by NodeMetrics,
// straight into the node's Prometheus registry), of rendering /metrics and of a snapshot, and a check that
// recording does not allocate.
import CoreMetrics
import GossipObservability
import Glibc
import Synchronization

let metricsBenchmarks: [BenchmarkSuite] = [
    BenchmarkSuite(name: "metrics") {
        let metrics = NodeMetrics()
        metrics.registerAllDeclared()
        let counter = Counter(label: "plumtree_gossip_sent_total", factory: metrics)
        let histogram = Recorder(label: "plumtree_graft_latency_seconds", factory: metrics)
        let gauge = Gauge(label: "plumtree_pending_grafts", factory: metrics)
        var results: [BenchmarkResult] = []

        // Baselines on this machine: the figures below are best read against them on a shared host.
        let baselineAtomic = BaselineAtomic()
        let atomicNanos = medianNanosPerOp(iterations: 5_000_000) { n in
            for _ in 0..<n { baselineAtomic.bump() }
            return n
        }
        results.append(BenchmarkResult(name: "baseline: bare relaxed atomic add", value: atomicNanos, unit: "ns/op"))
        let baselineLock = Mutex<Int>(0)
        let lockNanos = medianNanosPerOp(iterations: 2_000_000) { n in
            for _ in 0..<n { baselineLock.withLock { $0 &+= 1 } }
            return n
        }
        results.append(BenchmarkResult(name: "baseline: bare mutex lock+unlock", value: lockNanos, unit: "ns/op"))

        let counterNanos = medianNanosPerOp(iterations: 5_000_000) { n in
            for _ in 0..<n { counter.increment() }
            return n
        }
        results.append(BenchmarkResult(name: "counter increment", value: counterNanos, unit: "ns/op",
                                       note: "goal < 10 ns"))

        let histogramNanos = medianNanosPerOp(iterations: 2_000_000) { n in
            // Values spread over the buckets so the bucket search is not always the shortest.
            for i in 0..<n { histogram.record(Double(i & 7) * 0.08) }
            return n
        }
        results.append(BenchmarkResult(name: "histogram observation", value: histogramNanos, unit: "ns/op",
                                       note: "goal < 30 ns"))

        let gaugeNanos = medianNanosPerOp(iterations: 5_000_000) { n in
            for i in 0..<n { gauge.record(i) }
            return n
        }
        results.append(BenchmarkResult(name: "gauge set", value: gaugeNanos, unit: "ns/op"))

        let renderNanos = medianNanosPerOp(iterations: 2_000) { n in
            var bytes = 0
            for _ in 0..<n { bytes &+= metrics.render().count }
            return bytes
        }
        let size = metrics.render().count
        results.append(BenchmarkResult(name: "render /metrics, one node", value: renderNanos / 1000, unit: "µs",
                                       note: "\(metrics.snapshot().families.count) families, \(size) bytes"))

        let snapshotNanos = medianNanosPerOp(iterations: 500) { n in
            var families = 0
            for _ in 0..<n { families &+= metrics.snapshot().families.count }
            return families
        }
        results.append(BenchmarkResult(name: "snapshot, one node", value: snapshotNanos / 1000, unit: "µs"))

        // Heap in use before and after a million recordings of each kind: any per-recording allocation that
        // is kept (or a buffer that grows) shows up here.
        if let before = heapBytesInUse() {
            for i in 0..<1_000_000 {
                counter.increment()
                histogram.record(Double(i & 7) * 0.08)
                gauge.record(i)
            }
            let after = heapBytesInUse() ?? before
            // The same probe around a deliberate 1 MiB allocation, to show it sees allocations at all.
            let probeBefore = heapBytesInUse() ?? 0
            let kept = [UInt8](repeating: 1, count: 1 << 20)
            let probeAfter = heapBytesInUse() ?? 0
            let detects = probeAfter - probeBefore >= 1 << 20 && kept.count == 1 << 20
            results.append(BenchmarkResult(name: "heap growth over 3M recordings", value: Double(after - before),
                                           unit: "bytes",
                                           note: "mallinfo2 bytes in use after - before; probe sees a 1 MiB allocation: \(detects)"))
        }
        return results
    }
]

/// An atomic counter behind a call the optimiser cannot remove, for the baseline.
final class BaselineAtomic: Sendable {
    private let value = Atomic<Int64>(0)

    @inline(never)
    func bump() { value.wrappingAdd(1, ordering: .relaxed) }
}

/// glibc's `mallinfo2()` bytes in use (heap plus mmapped blocks), or nil where it cannot be called.
///
/// `mallinfo2` returns a struct of ten `size_t`s by value, which Swift cannot declare as a C function
/// type; on x86-64 such a struct is returned through a hidden pointer in the first argument register, so
/// calling it as `void f(void *result)` is the same call.
func heapBytesInUse() -> Int? {
    #if arch(x86_64)
    // RTLD_DEFAULT (a null handle): the process's global symbol scope, where glibc's malloc lives.
    guard let symbol = dlsym(nil, "mallinfo2") else { return nil }
    typealias MallInfo2 = @convention(c) (UnsafeMutableRawPointer) -> UnsafeMutableRawPointer?
    let function = unsafeBitCast(symbol, to: MallInfo2.self)
    var fields = [Int](repeating: 0, count: 10)
    fields.withUnsafeMutableBytes { buffer in
        if let base = buffer.baseAddress { _ = function(base) }
    }
    // uordblks (bytes in use from the heap) + hblkhd (bytes in mmapped blocks, used for large allocations).
    return fields[7] + fields[4]
    #else
    return nil
    #endif
}
