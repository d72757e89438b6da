import CoreMetrics
import Synchronization

/// A metrics backend for tests that keeps every value in memory, keyed by label and dimensions.
final class CapturingMetrics: MetricsFactory, @unchecked Sendable {
    private let lock = Mutex<[String: Double]>([:])
    private let samples = Mutex<[String: [Double]]>([:])

    static func key(_ label: String, _ dimensions: [(String, String)]) -> String {
        dimensions.isEmpty ? label : label + "{" + dimensions.map { "\($0.0)=\($0.1)" }.joined(separator: ",") + "}"
    }

    /// A counter's total or a gauge's last value.
    func value(_ label: String, _ dimensions: [(String, String)] = []) -> Double {
        lock.withLock { $0[Self.key(label, dimensions)] ?? 0 }
    }

    /// Every value recorded into a histogram.
    func recorded(_ label: String) -> [Double] {
        samples.withLock { $0[label] ?? [] }
    }

    var labels: Set<String> {
        lock.withLock { Set($0.keys) }.union(samples.withLock { Set($0.keys) })
    }

    fileprivate func add(_ key: String, _ amount: Double) { lock.withLock { $0[key, default: 0] += amount } }
    fileprivate func set(_ key: String, _ value: Double) { lock.withLock { $0[key] = value } }
    fileprivate func sample(_ key: String, _ value: Double) { samples.withLock { $0[key, default: []].append(value) } }

    func makeCounter(label: String, dimensions: [(String, String)]) -> CounterHandler {
        let key = Self.key(label, dimensions)
        set(key, 0)
        return Handler(owner: self, key: key, aggregate: false)
    }
    func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> FloatingPointCounterHandler {
        Handler(owner: self, key: Self.key(label, dimensions), aggregate: false)
    }
    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> RecorderHandler {
        Handler(owner: self, key: Self.key(label, dimensions), aggregate: aggregate)
    }
    func makeMeter(label: String, dimensions: [(String, String)]) -> MeterHandler {
        Handler(owner: self, key: Self.key(label, dimensions), aggregate: false)
    }
    func makeTimer(label: String, dimensions: [(String, String)]) -> TimerHandler {
        Handler(owner: self, key: Self.key(label, dimensions), aggregate: true)
    }
    func destroyCounter(_ handler: CounterHandler) {}
    func destroyFloatingPointCounter(_ handler: FloatingPointCounterHandler) {}
    func destroyRecorder(_ handler: RecorderHandler) {}
    func destroyMeter(_ handler: MeterHandler) {}
    func destroyTimer(_ handler: TimerHandler) {}

    private final class Handler: CounterHandler, FloatingPointCounterHandler, RecorderHandler, MeterHandler, TimerHandler, @unchecked Sendable {
        let owner: CapturingMetrics
        let key: String
        let aggregate: Bool
        init(owner: CapturingMetrics, key: String, aggregate: Bool) {
            self.owner = owner
            self.key = key
            self.aggregate = aggregate
        }
        func increment(by amount: Int64) { owner.add(key, Double(amount)) }
        func increment(by amount: Double) { owner.add(key, amount) }
        func reset() { owner.set(key, 0) }
        func record(_ value: Int64) { record(Double(value)) }
        func record(_ value: Double) { aggregate ? owner.sample(key, value) : owner.set(key, value) }
        func set(_ value: Int64) { owner.set(key, Double(value)) }
        func set(_ value: Double) { owner.set(key, value) }
        func decrement(by amount: Double) { owner.add(key, -amount) }
        func recordNanoseconds(_ duration: Int64) { owner.sample(key, Double(duration)) }
    }
}
