import CoreMetrics
import Synchronization

/// The one metrics factory the core tests read what a core recorded from: every value kept in memory by
/// label and dimensions.
///
/// - counters add up, gauges keep their last value;
/// - a histogram (an aggregating recorder, or a timer) counts its observations under ``value(_:_:)`` and
///   keeps every observation under ``recorded(_:_:)``.
package final class RecordingMetrics: MetricsFactory, Sendable {
    private struct State {
        var values: [String: Double] = [:]
        var samples: [String: [Double]] = [:]
        var created: Set<String> = []
    }

    private let state = Mutex(State())

    package init() {}

    package static func key(_ label: String, _ dimensions: [(String, String)]) -> String {
        dimensions.isEmpty ? label : label + "{" + dimensions.map { "\($0.0)=\($0.1)" }.joined(separator: ",") + "}"
    }

    /// A counter's total, a gauge's last value, or a histogram's number of observations; 0 when none.
    package func value(_ label: String, _ dimensions: [(String, String)] = []) -> Double {
        state.withLock { $0.values[Self.key(label, dimensions)] ?? 0 }
    }

    /// The sum over every set of dimensions of a metric.
    package func total(_ label: String) -> Double {
        state.withLock { state in
            state.values.filter { $0.key == label || $0.key.hasPrefix(label + "{") }.values.reduce(0, +)
        }
    }

    /// Every value recorded into a histogram, in order (a timer's in nanoseconds).
    package func recorded(_ label: String, _ dimensions: [(String, String)] = []) -> [Double] {
        state.withLock { $0.samples[Self.key(label, dimensions)] ?? [] }
    }

    /// The label of every metric made from this factory.
    package var created: Set<String> { state.withLock { $0.created } }

    /// Every key (label and dimensions) that holds a value or an observation.
    package var labels: Set<String> {
        state.withLock { Set($0.values.keys).union($0.samples.keys) }
    }

    private func make(_ label: String, _ dimensions: [(String, String)], _ mode: Handler.Mode) -> Handler {
        let key = Self.key(label, dimensions)
        state.withLock { state in
            state.created.insert(label)
            // A counter exists at 0 from its creation, as in a Prometheus registry.
            if mode == .add, state.values[key] == nil { state.values[key] = 0 }
        }
        return Handler(owner: self, key: key, mode: mode)
    }

    package func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        make(label, dimensions, .add)
    }
    package func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        make(label, dimensions, .add)
    }
    package func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        make(label, dimensions, .set)
    }
    package func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        make(label, dimensions, aggregate ? .observe : .set)
    }
    package func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        make(label, dimensions, .observe)
    }
    package func destroyCounter(_ handler: any CounterHandler) {}
    package func destroyMeter(_ handler: any MeterHandler) {}
    package func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {}
    package func destroyRecorder(_ handler: any RecorderHandler) {}
    package func destroyTimer(_ handler: any TimerHandler) {}

    fileprivate func apply(_ key: String, _ mode: Handler.Mode, _ value: Double) {
        state.withLock { state in
            switch mode {
            case .add: state.values[key, default: 0] += value
            case .set: state.values[key] = value
            case .observe:
                state.values[key, default: 0] += 1
                state.samples[key, default: []].append(value)
            }
        }
    }

    fileprivate final class Handler: CounterHandler, FloatingPointCounterHandler, MeterHandler, RecorderHandler,
        TimerHandler, Sendable
    {
        enum Mode { case add, set, observe }
        let owner: RecordingMetrics
        let key: String
        let mode: Mode

        init(owner: RecordingMetrics, key: String, mode: Mode) {
            self.owner = owner
            self.key = key
            self.mode = mode
        }

        func increment(by amount: Int64) { owner.apply(key, .add, Double(amount)) }
        func increment(by amount: Double) { owner.apply(key, .add, amount) }
        func decrement(by amount: Double) { owner.apply(key, .add, -amount) }
        func reset() { owner.apply(key, .set, 0) }
        func set(_ value: Int64) { owner.apply(key, .set, Double(value)) }
        func set(_ value: Double) { owner.apply(key, .set, value) }
        func record(_ value: Int64) { owner.apply(key, mode, Double(value)) }
        func record(_ value: Double) { owner.apply(key, mode, value) }
        func recordNanoseconds(_ duration: Int64) { owner.apply(key, .observe, Double(duration)) }
    }
}
