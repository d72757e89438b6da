import CoreMetrics
import GossipObservability

/// A node's metrics as the simulator needs them: a `MetricsFactory` the cores record into, and a way to
/// read every current sample at a scrape.
///
/// Two implementations: the observability layer's ``GossipObservability/NodeMetrics`` (the very registry
/// a real node exports, so the series the alert proof sees are the ones Prometheus would scrape) and the
/// simulator's ``NodeMetricsRegistry`` (plain numbers, a fraction of the memory, for very large clusters).
public protocol SimulatedMetrics: AnyObject, MetricsFactory {
    /// Every current sample as (Prometheus series key `name{labels}`, value), histograms as their
    /// `_bucket`, `_sum` and `_count` series.
    func forEachSample(_ body: (String, Double) -> Void)
    /// Adds the value of every counter series to `totals` under its metric name.
    func addCounterTotals(into totals: inout [String: Double])
}

extension SimulatedMetrics {
    /// The sum over every series named `name`, whatever its labels (0 when there is none).
    public func total(_ name: String) -> Double {
        var sum = 0.0
        forEachSample { key, value in
            if key == name || (key.hasPrefix(name) && key.dropFirst(name.count).first == "{") { sum += value }
        }
        return sum
    }

    /// The current value of the series `name` with exactly `labels`, nil when the node never created it.
    public func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        let key = SeriesKey.render(name: name, labels: labels.sorted { $0.key < $1.key })
        var found: Double?
        forEachSample { sampleKey, value in
            if sampleKey == key { found = value }
        }
        return found
    }
}

extension NodeMetricsRegistry: SimulatedMetrics {
    public func addCounterTotals(into totals: inout [String: Double]) {
        for metric in metrics where metric.kind == .counter { totals[metric.name, default: 0] += metric.value }
    }
}

extension NodeMetrics: SimulatedMetrics {
    public func forEachSample(_ body: (String, Double) -> Void) {
        for family in snapshot().families {
            for series in family.series {
                let labels = series.labels.map { ($0.name, $0.value) }
                guard let histogram = series.histogram else {
                    body(SeriesKey.render(name: family.name, labels: labels), series.value)
                    continue
                }
                for bucket in histogram.buckets {
                    let withLE = (labels + [("le", SeriesKey.bound(bucket.upperBound))]).sorted { $0.0 < $1.0 }
                    body(SeriesKey.render(name: family.name + "_bucket", labels: withLE), bucket.cumulativeCount)
                }
                body(SeriesKey.render(name: family.name + "_sum", labels: labels), histogram.sum)
                body(SeriesKey.render(name: family.name + "_count", labels: labels), histogram.count)
            }
        }
    }

    public func addCounterTotals(into totals: inout [String: Double]) {
        for family in snapshot().families where family.type == "counter" {
            for series in family.series { totals[family.name, default: 0] += series.value }
        }
    }
}
