import GossipObservability
import CoreMetrics

/// One simulated node's metrics: a swift-metrics `MetricsFactory` whose objects hold plain numbers the
/// sampler reads at every virtual scrape.
///
/// Each node gets its own registry, so two nodes' counters never mix and a restarted node starts from
/// zero as a restarted process would. The engine runs on one thread and never shares a registry across
/// threads; that is why the handlers can be `@unchecked Sendable` without a lock (a lock per increment
/// would dominate the cost of simulating thousands of nodes).
public final class NodeMetricsRegistry: MetricsFactory, @unchecked Sendable {
    /// Histogram buckets by metric name (the cores' `MetricDescriptor`s); a histogram without an entry
    /// exports only `_sum` and `_count`.
    let buckets: [String: [Double]]
    private var byKey: [String: SimulatedMetric] = [:]
    /// In creation order, so every export lists series in the same order on every run.
    private(set) var metrics: [SimulatedMetric] = []

    public init(buckets: [String: [Double]] = [:]) {
        self.buckets = buckets
    }

    /// Every current sample as (series key, value), series key in Prometheus form `name{a="b"}`.
    public func forEachSample(_ body: (String, Double) -> Void) {
        for metric in metrics { metric.forEachSample(body) }
    }

    private func make(_ label: String, _ dimensions: [(String, String)], _ kind: SimulatedMetric.Kind) -> SimulatedMetric {
        let labels = dimensions.sorted { $0.0 < $1.0 }
        let key = SeriesKey.render(name: label, labels: labels)
        if let existing = byKey[key] { return existing }
        let metric = SimulatedMetric(name: label, labels: labels, key: key, kind: kind, buckets: kind == .histogram ? buckets[label] ?? [] : [])
        byKey[key] = metric
        metrics.append(metric)
        return metric
    }

    public func makeCounter(label: String, dimensions: [(String, String)]) -> CounterHandler {
        make(label, dimensions, .counter)
    }

    public func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> FloatingPointCounterHandler {
        make(label, dimensions, .counter)
    }

    public func makeMeter(label: String, dimensions: [(String, String)]) -> MeterHandler {
        make(label, dimensions, .gauge)
    }

    public func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> RecorderHandler {
        make(label, dimensions, aggregate ? .histogram : .gauge)
    }

    public func makeTimer(label: String, dimensions: [(String, String)]) -> TimerHandler {
        make(label, dimensions, .histogram)
    }

    public func destroyCounter(_ handler: CounterHandler) {}
    public func destroyFloatingPointCounter(_ handler: FloatingPointCounterHandler) {}
    public func destroyMeter(_ handler: MeterHandler) {}
    public func destroyRecorder(_ handler: RecorderHandler) {}
    public func destroyTimer(_ handler: TimerHandler) {}
}

/// Renders Prometheus series keys: `name{a="x",b="y"}`, label values escaped as the exposition format does.
enum SeriesKey {
    static func render(name: String, labels: [(String, String)]) -> String {
        guard !labels.isEmpty else { return name }
        var out = name + "{"
        for (index, (key, value)) in labels.enumerated() {
            if index > 0 { out += "," }
            out += key + "=\"" + PrometheusLabelValue.escaped(value) + "\""
        }
        return out + "}"
    }


    /// Prometheus renders `le` bounds in Go's shortest float form: 0.5, 1, 10240, +Inf.
    static func bound(_ value: Double) -> String {
        if value == .infinity { return "+Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }
}

/// One counter, gauge or histogram; a single class serves every swift-metrics handler kind.
final class SimulatedMetric: CounterHandler, FloatingPointCounterHandler, MeterHandler, RecorderHandler, TimerHandler,
    @unchecked Sendable
{
    enum Kind { case counter, gauge, histogram }

    let name: String
    let labels: [(String, String)]
    let key: String
    let kind: Kind
    let bounds: [Double]
    private let bucketKeys: [String]
    private let sumKey: String
    private let countKey: String
    /// Counter or gauge value; a histogram's sum.
    private(set) var value: Double = 0
    private var count: Double = 0
    private var bucketCounts: [Double]

    init(name: String, labels: [(String, String)], key: String, kind: Kind, buckets: [Double]) {
        self.name = name
        self.labels = labels
        self.key = key
        self.kind = kind
        self.bounds = buckets
        self.bucketCounts = Array(repeating: 0, count: buckets.count)
        if kind == .histogram {
            bucketKeys = (buckets + [.infinity]).map { bound in
                SeriesKey.render(name: name + "_bucket", labels: (labels + [("le", SeriesKey.bound(bound))]).sorted { $0.0 < $1.0 })
            }
            sumKey = SeriesKey.render(name: name + "_sum", labels: labels)
            countKey = SeriesKey.render(name: name + "_count", labels: labels)
        } else {
            bucketKeys = []
            sumKey = ""
            countKey = ""
        }
    }

    func forEachSample(_ body: (String, Double) -> Void) {
        guard kind == .histogram else {
            body(key, value)
            return
        }
        var cumulative = 0.0
        for (index, bucketKey) in bucketKeys.enumerated() {
            cumulative += index < bucketCounts.count ? bucketCounts[index] : 0
            body(bucketKey, index < bucketCounts.count ? cumulative : count)
        }
        body(sumKey, value)
        body(countKey, count)
    }

    private func observe(_ sample: Double) {
        value += sample
        count += 1
        // Buckets hold per-bucket counts; the export makes them cumulative.
        for (index, bound) in bounds.enumerated() where sample <= bound {
            bucketCounts[index] += 1
            return
        }
    }

    // Counter
    func increment(by amount: Int64) { value += Double(amount) }
    func reset() { value = 0 }
    // Floating-point counter and meter
    func increment(by amount: Double) { value += amount }
    // Meter
    func set(_ value: Int64) { self.value = Double(value) }
    func set(_ value: Double) { self.value = value }
    func decrement(by amount: Double) { value -= amount }
    // Recorder: a gauge keeps the last value, a histogram observes it.
    func record(_ value: Int64) { record(Double(value)) }
    func record(_ value: Double) {
        if kind == .histogram { observe(value) } else { self.value = value }
    }
    // Timer: nanoseconds in, seconds out (the contract's histograms are in seconds).
    func recordNanoseconds(_ duration: Int64) { observe(Double(duration) / 1e9) }
}
