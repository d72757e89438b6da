import CoreMetrics
import Synchronization

/// A lock-free Prometheus histogram: one atomic count per bucket and an atomic sum.
///
/// swift-prometheus 2.4.1 records histogram observations through unspecialised generic code behind a
/// mutex, at several times the budget of the Plumtree hot path; this one costs a short bucket search, one
/// atomic add and one compare-and-swap. ``NodeMetrics`` renders it into the same exposition as the
/// registry's counters and gauges.
final class AtomicHistogram: RecorderHandler, @unchecked Sendable {
    // @unchecked: `counts` is allocated once in init, never reallocated, only touched through atomics,
    // and freed in deinit.
    let name: String
    let labels: [(String, String)]
    /// Upper bounds, ascending; observations above the last go to the implicit `+Inf` bucket.
    let bounds: [Double]
    /// Non-cumulative counts: `bounds.count` buckets, then `+Inf`.
    private let counts: UnsafeMutablePointer<Atomic<UInt64>>
    private let sumBits = Atomic<UInt64>(Double.zero.bitPattern)

    init(name: String, labels: [(String, String)], bounds: [Double]) {
        self.name = name
        self.labels = labels
        self.bounds = bounds.sorted()
        let slots = bounds.count + 1
        counts = .allocate(capacity: slots)
        for index in 0..<slots { (counts + index).initialize(to: Atomic<UInt64>(0)) }
    }

    deinit {
        counts.deinitialize(count: bounds.count + 1)
        counts.deallocate()
    }

    func record(_ value: Int64) {
        record(Double(value))
    }

    func record(_ value: Double) {
        var index = 0
        let count = bounds.count
        while index < count, value > bounds[index] { index += 1 }
        counts[index].wrappingAdd(1, ordering: .relaxed)
        var current = sumBits.load(ordering: .relaxed)
        while true {
            let (exchanged, original) = sumBits.compareExchange(
                expected: current, desired: (Double(bitPattern: current) + value).bitPattern, ordering: .relaxed)
            if exchanged { break }
            current = original
        }
    }

    /// Cumulative bucket counts (one per bound), total count and sum, read now.
    func read() -> (cumulative: [UInt64], count: UInt64, sum: Double) {
        var cumulative: [UInt64] = []
        cumulative.reserveCapacity(bounds.count)
        var running: UInt64 = 0
        for index in 0..<bounds.count {
            running &+= counts[index].load(ordering: .relaxed)
            cumulative.append(running)
        }
        running &+= counts[bounds.count].load(ordering: .relaxed)
        return (cumulative, running, Double(bitPattern: sumBits.load(ordering: .relaxed)))
    }
}

/// A swift-metrics timer that records into a seconds histogram.
final class SecondsTimerHandler: TimerHandler, Sendable {
    let histogram: AtomicHistogram

    init(histogram: AtomicHistogram) { self.histogram = histogram }

    func recordNanoseconds(_ duration: Int64) {
        histogram.record(Double(duration) / 1_000_000_000)
    }
}

extension AtomicHistogram {
    /// Appends this histogram's `_bucket`, `_sum` and `_count` lines in the text exposition format,
    /// writing bounds as the registry writes its own (`0.01`, `5.0`).
    func render(into buffer: inout [UInt8]) {
        let (cumulative, count, sum) = read()
        let labelText = Self.labelText(labels)
        for (index, bound) in bounds.enumerated() {
            Self.line(&buffer, name + "_bucket", labelText, le: bound.description, value: String(cumulative[index]))
        }
        Self.line(&buffer, name + "_bucket", labelText, le: "+Inf", value: String(count))
        Self.line(&buffer, name + "_sum", labelText, le: nil, value: sum.description)
        Self.line(&buffer, name + "_count", labelText, le: nil, value: String(count))
    }

    private static func line(_ buffer: inout [UInt8], _ name: String, _ labels: String, le: String?, value: String) {
        buffer.append(contentsOf: name.utf8)
        var all = labels
        if let le { all += (all.isEmpty ? "" : ",") + "le=\"\(le)\"" }
        if !all.isEmpty {
            buffer.append(UInt8(ascii: "{"))
            buffer.append(contentsOf: all.utf8)
            buffer.append(UInt8(ascii: "}"))
        }
        buffer.append(UInt8(ascii: " "))
        buffer.append(contentsOf: value.utf8)
        buffer.append(UInt8(ascii: "\n"))
    }

    /// `a="x",b="y"` with backslash, quote and newline escaped.
    static func labelText(_ labels: [(String, String)]) -> String {
        labels.map { name, value in "\(name)=\"\(PrometheusLabelValue.escaped(value))\"" }.joined(separator: ",")
    }

    /// `# HELP` and `# TYPE` lines for a histogram family.
    static func header(_ buffer: inout [UInt8], name: String, help: String) {
        var escapedHelp = ""
        for character in help where character != "\n" {
            escapedHelp += character == "\\" ? "\\\\" : String(character)
        }
        buffer.append(contentsOf: "# HELP \(name) \(escapedHelp)\n# TYPE \(name) histogram\n".utf8)
    }
}
