import CoreMetrics
import Prometheus
import ProtocolSupport
import Synchronization

/// One node's metrics: a swift-metrics `MetricsFactory` backed by its own `PrometheusCollectorRegistry`.
///
/// Hand one to each core at init (no global `MetricsSystem.bootstrap`), so any number of nodes in one
/// process keep separate values. Every metric is created with the HELP text and, for histograms, the exact
/// `le` buckets of its ``MetricDescriptor``; a metric nobody declared still gets a HELP line and is listed
/// in ``catalogueViolations`` so that tests catch it.
///
/// Counters and gauges live in the registry (relaxed atomics); histograms are this layer's lock-free
/// ``AtomicHistogram``s, rendered into the same exposition. Every metric object is created once, when a
/// core builds its metrics: nothing is looked up by name and nothing is allocated per recording.
public final class NodeMetrics: MetricsFactory, Sendable {
    /// The content type of the Prometheus text exposition format version 0.0.4.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// The registry this node's metrics live in (one per node).
    public let registry: PrometheusCollectorRegistry

    private let descriptors: [String: MetricDescriptor]
    private let state: Mutex<State>
    private let healthGauge: Prometheus.Gauge

    private struct State {
        /// What each exported name was registered as, so a conflicting request never reaches the registry
        /// (which would stop the process on a type or label-shape mismatch).
        var registered: [String: Registration] = [:]
        var violations: [String] = []
        var scratch: [UInt8] = []
        /// Where each line of the last exposition went, so the next snapshot parses only numbers.
        var template: SnapshotTemplate?
        var templateBuilds = 0
        /// This layer's histograms by name (in creation order within a name), rendered after the registry.
        var histograms: [String: [AtomicHistogram]] = [:]
    }

    private struct Registration: Equatable {
        var kind: MetricDescriptor.Kind
        var labelled: Bool
    }

    /// A registry for a node whose cores declare `descriptors` (by default the Plumtree core's and the
    /// membership metrics, ``MetricContract/nodeDescriptors``). The observability layer's own metrics
    /// (``MetricContract/observability``) are added, and `plumtree_health_status` is registered at once.
    public init(descriptors: [MetricDescriptor] = MetricContract.nodeDescriptors) {
        let registry = PrometheusCollectorRegistry()
        var table: [String: MetricDescriptor] = [:]
        var violations: [String] = []
        for descriptor in descriptors + MetricContract.observability {
            if let existing = table[descriptor.name] {
                if existing != descriptor { violations.append("\(descriptor.name): declared twice, differently") }
                continue
            }
            table[descriptor.name] = descriptor
        }
        self.registry = registry
        self.descriptors = table
        let health = MetricContract.healthStatus
        self.healthGauge = registry.makeGauge(descriptor: Self.prometheusName(health.name, help: health.help))
        var state = State()
        state.registered[health.name] = Registration(kind: .gauge, labelled: false)
        state.violations = violations
        self.state = Mutex(state)
    }

    // MARK: - Reading

    /// The Prometheus text exposition (format 0.0.4, see ``contentType``) of every metric of this node.
    public func render() -> [UInt8] {
        var buffer = registry.emitToBuffer()
        appendHistograms(to: &buffer)
        return buffer
    }

    /// Appends every histogram family (HELP, TYPE, series) to an exposition.
    private func appendHistograms(to buffer: inout [UInt8]) {
        let families = state.withLock { $0.histograms }
        for name in families.keys.sorted() {
            guard let series = families[name], !series.isEmpty else { continue }
            AtomicHistogram.header(&buffer, name: name, help: help(for: name))
            for histogram in series { histogram.render(into: &buffer) }
        }
    }

    private func help(for name: String) -> String {
        descriptors[name]?.help ?? "\(name) (not declared in the metric catalogue)"
    }

    /// The current value of every series, sorted by name and labels: a cheap read for samplers that want
    /// numbers rather than text (the simulator samples each node this way).
    public func snapshot() -> MetricsSnapshot {
        state.withLock { state in
            state.scratch.removeAll(keepingCapacity: true)
            registry.emit(into: &state.scratch)
            var registryPart: MetricsSnapshot
            if var template = state.template, template.update(from: state.scratch) {
                state.template = template
                registryPart = template.snapshot
            } else {
                let template = SnapshotTemplate(parsing: state.scratch)
                state.template = template
                state.templateBuilds += 1
                registryPart = template.snapshot
            }
            // Histograms are read directly, no text involved.
            for (name, series) in state.histograms where !series.isEmpty {
                let family = MetricsSnapshot.Family(
                    name: name, type: "histogram", help: help(for: name),
                    series: series.map(Self.snapshotSeries).sorted { $0.labels.lexicographicallyPrecedes($1.labels) })
                registryPart.families.append(family)
            }
            registryPart.families.sort { $0.name < $1.name }
            return registryPart
        }
    }

    private static func snapshotSeries(_ histogram: AtomicHistogram) -> MetricsSnapshot.Series {
        let (cumulative, count, sum) = histogram.read()
        let buckets = zip(histogram.bounds, cumulative).map {
            MetricsSnapshot.Bucket(upperBound: $0, cumulativeCount: Double($1))
        }
        return MetricsSnapshot.Series(
            labels: histogram.labels.map { MetricsSnapshot.Label($0.0, $0.1) }.sorted(), value: sum,
            histogram: MetricsSnapshot.Histogram(buckets: buckets, sum: sum, count: Double(count)))
    }

    /// How many snapshots needed a full parse (the others only read numbers); for tests.
    var snapshotTemplateBuilds: Int {
        state.withLock { $0.templateBuilds }
    }

    /// Metrics created that no descriptor declares, or whose kind or labels differ from their descriptor.
    /// Empty for a node whose cores keep their descriptors in step with what they record.
    public var catalogueViolations: [String] {
        state.withLock { $0.violations }
    }

    /// The descriptor this registry uses for `name`, if one was declared.
    public func descriptor(named name: String) -> MetricDescriptor? {
        descriptors[name]
    }

    /// Every declared descriptor, sorted by name.
    public var declaredDescriptors: [MetricDescriptor] {
        descriptors.values.sorted { $0.name < $1.name }
    }

    // MARK: - Health

    /// Sets `plumtree_health_status` to 0, 1 or 2.
    public func recordHealth(_ status: HealthStatus) {
        healthGauge.set(to: Double(status.gaugeValue))
    }

    // MARK: - Pre-registration

    /// Registers every declared metric at its zero value, labelled ones with the given label values (those
    /// with no values listed are skipped). A node's cores create their metrics at init anyway; this is for
    /// checking a node-shaped exposition (promtool, the dashboard, the alert rules) without the cores.
    public func registerAllDeclared(labelValues: [String: [String]] = MetricContract.labelValues) {
        for descriptor in declaredDescriptors {
            let combos: [[(String, String)]]
            if descriptor.labelNames.isEmpty {
                combos = [[]]
            } else if descriptor.labelNames.count == 1, let values = labelValues[descriptor.name] {
                combos = values.map { [(descriptor.labelNames[0], $0)] }
            } else {
                continue
            }
            for labels in combos {
                switch descriptor.kind {
                case .counter: _ = makeCounter(label: descriptor.name, dimensions: labels)
                case .gauge: _ = makeMeter(label: descriptor.name, dimensions: labels)
                case .histogram: _ = makeRecorder(label: descriptor.name, dimensions: labels, aggregate: true)
                }
            }
        }
    }

    // MARK: - MetricsFactory

    public func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        let labels = Self.sorted(dimensions)
        let (target, name) = admit(label, as: .counter, labels: labels)
        return target.makeCounter(descriptor: name, labels: labels)
    }

    public func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        let labels = Self.sorted(dimensions)
        let (target, name) = admit(label, as: .counter, labels: labels)
        return target.makeCounter(descriptor: name, labels: labels)
    }

    public func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        let labels = Self.sorted(dimensions)
        let (target, name) = admit(label, as: .gauge, labels: labels)
        return target.makeGauge(descriptor: name, labels: labels)
    }

    public func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        let labels = Self.sorted(dimensions)
        // The descriptor decides: a declared gauge stays a gauge even if recorded through an aggregating
        // Recorder, a declared histogram gets its buckets whatever `aggregate` says.
        let kind = descriptors[label]?.kind ?? (aggregate ? .histogram : .gauge)
        if kind == .gauge {
            let (target, name) = admit(label, as: .gauge, labels: labels)
            return target.makeGauge(descriptor: name, labels: labels)
        }
        return makeHistogram(label, labels: labels)
    }

    public func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        let labels = Self.sorted(dimensions)
        // Timers record nanoseconds; the contract's latency histograms are in seconds, so timers feed the
        // same histogram a Recorder would, converted.
        return SecondsTimerHandler(histogram: makeHistogram(label, labels: labels))
    }

    /// The histogram `label` with `labels`: the existing one for that series, or a new one with the
    /// declared buckets. A request that clashes with another kind under that name is not exported.
    private func makeHistogram(_ label: String, labels: [(String, String)]) -> AtomicHistogram {
        let (target, _) = admit(label, as: .histogram, labels: labels)
        let fresh = AtomicHistogram(name: label, labels: labels, bounds: buckets(for: label))
        guard target === registry else { return fresh }
        return state.withLock { state in
            let key = AtomicHistogram.labelText(labels)
            if let existing = state.histograms[label]?.first(where: { AtomicHistogram.labelText($0.labels) == key }) {
                return existing
            }
            state.histograms[label, default: []].append(fresh)
            return fresh
        }
    }

    private func removeHistogram(_ histogram: AtomicHistogram) {
        state.withLock { state in
            state.histograms[histogram.name]?.removeAll { $0 === histogram }
            if state.histograms[histogram.name]?.isEmpty == true {
                state.histograms[histogram.name] = nil
                state.registered[histogram.name] = nil
            }
        }
    }

    public func destroyCounter(_ handler: any CounterHandler) {
        if let counter = handler as? Prometheus.Counter { registry.unregisterCounter(counter) }
    }

    public func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {
        if let counter = handler as? Prometheus.Counter { registry.unregisterCounter(counter) }
    }

    public func destroyMeter(_ handler: any MeterHandler) {
        if let gauge = handler as? Prometheus.Gauge { registry.unregisterGauge(gauge) }
    }

    public func destroyRecorder(_ handler: any RecorderHandler) {
        if let gauge = handler as? Prometheus.Gauge { registry.unregisterGauge(gauge) }
        if let histogram = handler as? AtomicHistogram { removeHistogram(histogram) }
    }

    public func destroyTimer(_ handler: any TimerHandler) {
        if let timer = handler as? SecondsTimerHandler { removeHistogram(timer.histogram) }
    }

    // MARK: - Admission

    /// The default buckets for an undeclared histogram (Prometheus client defaults).
    static let fallbackBuckets: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    private func buckets(for name: String) -> [Double] {
        guard let declared = descriptors[name]?.buckets, !declared.isEmpty else { return Self.fallbackBuckets }
        return declared
    }

    /// Decides which registry a new metric goes to and with which HELP text. A request that would clash
    /// with what is already exported under that name goes to a detached registry that is never rendered,
    /// so a core's mistake shows up as a catalogue violation instead of stopping the node.
    private func admit(
        _ name: String, as kind: MetricDescriptor.Kind, labels: [(String, String)]
    ) -> (PrometheusCollectorRegistry, MetricNameDescriptor) {
        let descriptor = descriptors[name]
        let help = descriptor?.help ?? "\(name) (not declared in the metric catalogue)"
        let admitted = state.withLock { state -> Bool in
            if descriptor == nil {
                Self.note(&state, "\(name): recorded but not declared by any descriptor")
            } else if let descriptor, descriptor.kind != kind {
                Self.note(&state, "\(name): declared as \(descriptor.kind.rawValue), recorded as \(kind.rawValue)")
            } else if let descriptor, descriptor.labelNames.sorted() != labels.map(\.0) {
                Self.note(&state, "\(name): declared labels \(descriptor.labelNames.sorted()), recorded with \(labels.map(\.0))")
            }
            let wanted = Registration(kind: kind, labelled: !labels.isEmpty)
            if let existing = state.registered[name], existing != wanted {
                Self.note(&state, "\(name): registered as \(existing.kind.rawValue) (labelled: \(existing.labelled)), requested as \(kind.rawValue) (labelled: \(wanted.labelled)); not exported")
                return false
            }
            state.registered[name] = wanted
            return true
        }
        return (admitted ? registry : PrometheusCollectorRegistry(), Self.prometheusName(name, help: help))
    }

    /// The registry's name type: the full name as the metric name, no unit suffix added.
    private static func prometheusName(_ name: String, help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }

    private static func note(_ state: inout State, _ violation: String) {
        if !state.violations.contains(violation) { state.violations.append(violation) }
    }

    /// swift-metrics dimensions become Prometheus labels, in name order so the same set always names the
    /// same series.
    private static func sorted(_ dimensions: [(String, String)]) -> [(String, String)] {
        dimensions.count < 2 ? dimensions : dimensions.sorted { $0.0 < $1.0 }
    }
}
