import CoreMetrics
import Synchronization

/// A metrics factory that keeps every value in memory, so tests can read what a core counted.
final class RecordingMetrics: MetricsFactory, Sendable {
    private let values = Mutex<[String: Double]>([:])

    static func key(_ label: String, _ dimensions: [(String, String)]) -> String {
        dimensions.isEmpty ? label : label + "{" + dimensions.map { "\($0.0)=\($0.1)" }.joined(separator: ",") + "}"
    }

    /// The current value of a counter or gauge (for a histogram: the number of observations).
    func value(_ label: String, _ dimensions: [(String, String)] = []) -> Double {
        values.withLock { $0[Self.key(label, dimensions)] ?? 0 }
    }

    /// The sum over every label value of a metric.
    func total(_ label: String) -> Double {
        values.withLock { all in
            all.filter { $0.key == label || $0.key.hasPrefix(label + "{") }.values.reduce(0, +)
        }
    }

    fileprivate func add(_ key: String, _ delta: Double) { values.withLock { $0[key, default: 0] += delta } }
    fileprivate func set(_ key: String, _ value: Double) { values.withLock { $0[key] = value } }

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        Handler(self, Self.key(label, dimensions), mode: .add)
    }
    func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        Handler(self, Self.key(label, dimensions), mode: .add)
    }
    func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        Handler(self, Self.key(label, dimensions), mode: .set)
    }
    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        Handler(self, Self.key(label, dimensions), mode: aggregate ? .count : .set)
    }
    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        Handler(self, Self.key(label, dimensions), mode: .count)
    }
    func destroyCounter(_ handler: any CounterHandler) {}
    func destroyMeter(_ handler: any MeterHandler) {}
    func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {}
    func destroyRecorder(_ handler: any RecorderHandler) {}
    func destroyTimer(_ handler: any TimerHandler) {}

    private final class Handler: CounterHandler, FloatingPointCounterHandler, MeterHandler, RecorderHandler,
        TimerHandler, Sendable
    {
        enum Mode { case add, set, count }
        let owner: RecordingMetrics
        let key: String
        let mode: Mode

        init(_ owner: RecordingMetrics, _ key: String, mode: Mode) {
            self.owner = owner
            self.key = key
            self.mode = mode
        }

        func record(_ value: Double) {
            switch mode {
            case .add: owner.add(key, value)
            case .set: owner.set(key, value)
            case .count: owner.add(key, 1)
            }
        }

        func increment(by amount: Int64) { record(Double(amount)) }
        func increment(by amount: Double) { record(amount) }
        func reset() { owner.set(key, 0) }
        func set(_ value: Int64) { record(Double(value)) }
        func set(_ value: Double) { record(value) }
        func decrement(by amount: Double) { owner.add(key, -amount) }
        func record(_ value: Int64) { record(Double(value)) }
        func recordNanoseconds(_ duration: Int64) { owner.add(key, 1) }
    }
}
