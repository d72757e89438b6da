import Testing
@testable import GossipObservability

@Suite("MetricsSnapshot: parsing the exposition back into values")
struct MetricsSnapshotTests {
    @Test("parses labels with escapes, histograms and sorts families and series")
    func parses() throws {
        let text = """
            # HELP z_gauge a gauge
            # TYPE z_gauge gauge
            z_gauge{kind="b \\"quoted\\"",node="x"} 2.5
            z_gauge{kind="a",node="x"} 1
            # HELP a_hist a histogram
            # TYPE a_hist histogram
            a_hist_bucket{le="1.0"} 1
            a_hist_bucket{le="0.5"} 0
            a_hist_bucket{le="+Inf"} 3
            a_hist_sum 7.5
            a_hist_count 3
            garbage line without value
            """
        let snapshot = MetricsSnapshot(parsing: text)
        #expect(snapshot.families.map(\.name) == ["a_hist", "z_gauge"])
        let gauge = try #require(snapshot.family("z_gauge"))
        #expect(gauge.series.map { $0.label("kind") } == ["a", "b \"quoted\""])
        #expect(snapshot.value("z_gauge", ["kind": "b \"quoted\""]) == 2.5)
        let histogram = try #require(snapshot.histogram("a_hist"))
        #expect(histogram.buckets.map(\.upperBound) == [0.5, 1.0])
        #expect(histogram.count == 3)
        #expect(histogram.sum == 7.5)
        #expect(snapshot.value("garbage") == nil)
    }

    @Test("two registries with equal values give equal snapshots")
    func deterministic() {
        let make = { () -> NodeMetrics in
            let metrics = NodeMetrics(descriptors: MetricContract.plumtree + MetricContract.membership)
            metrics.registerAllDeclared()
            return metrics
        }
        #expect(make().snapshot() == make().snapshot())
    }
}
