import CoreMetrics
import Synchronization

/// Counters and gauges kept in memory by label and dimensions, for assertions on what the node core records.
final class RecordingMetrics: MetricsFactory, Sendable {
    private let values = Mutex<[String: Double]>([:])

    static func key(_ label: String, _ dimensions: [(String, String)]) -> String {
        dimensions.isEmpty ? label : label + "{" + dimensions.map { "\($0.0)=\($0.1)" }.joined(separator: ",") + "}"
    }

    /// A counter's total or a gauge's last value.
    func value(_ label: String, _ dimensions: [(String, String)] = []) -> Double {
        values.withLock { $0[Self.key(label, dimensions)] ?? 0 }
    }

    fileprivate func add(_ key: String, _ amount: Double) { values.withLock { $0[key, default: 0] += amount } }
    fileprivate func set(_ key: String, _ value: Double) { values.withLock { $0[key] = value } }

    func makeCounter(label: String, dimensions: [(String, String)]) -> CounterHandler {
        Handler(owner: self, key: Self.key(label, dimensions), accumulate: true)
    }
    func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> FloatingPointCounterHandler {
        Handler(owner: self, key: Self.key(label, dimensions), accumulate: true)
    }
    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> RecorderHandler {
        Handler(owner: self, key: Self.key(label, dimensions), accumulate: false)
    }
    func makeMeter(label: String, dimensions: [(String, String)]) -> MeterHandler {
        Handler(owner: self, key: Self.key(label, dimensions), accumulate: false)
    }
    func makeTimer(label: String, dimensions: [(String, String)]) -> TimerHandler {
        Handler(owner: self, key: Self.key(label, dimensions), accumulate: false)
    }
    func destroyCounter(_ handler: CounterHandler) {}
    func destroyFloatingPointCounter(_ handler: FloatingPointCounterHandler) {}
    func destroyRecorder(_ handler: RecorderHandler) {}
    func destroyMeter(_ handler: MeterHandler) {}
    func destroyTimer(_ handler: TimerHandler) {}

    private final class Handler: CounterHandler, FloatingPointCounterHandler, RecorderHandler, MeterHandler, TimerHandler, Sendable {
        let owner: RecordingMetrics
        let key: String
        let accumulate: Bool
        init(owner: RecordingMetrics, key: String, accumulate: Bool) {
            self.owner = owner
            self.key = key
            self.accumulate = accumulate
        }
        func increment(by amount: Int64) { owner.add(key, Double(amount)) }
        func increment(by amount: Double) { owner.add(key, amount) }
        func reset() { owner.set(key, 0) }
        func record(_ value: Int64) { accumulate ? owner.add(key, Double(value)) : owner.set(key, Double(value)) }
        func record(_ value: Double) { accumulate ? owner.add(key, value) : owner.set(key, value) }
        func set(_ value: Int64) { owner.set(key, Double(value)) }
        func set(_ value: Double) { owner.set(key, value) }
        func decrement(by amount: Double) { owner.add(key, -amount) }
        func recordNanoseconds(_ duration: Int64) { owner.set(key, Double(duration)) }
    }
}
