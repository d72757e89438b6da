import CoreMetrics
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

    @Test("repeated snapshots (numbers-only fast path) equal a full parse, also after new series appear")
    func repeatedSnapshots() throws {
        let metrics = NodeMetrics()
        metrics.registerAllDeclared()
        let counter = Counter(label: "plumtree_gossip_sent_total", factory: metrics)
        let latency = Recorder(label: "plumtree_graft_latency_seconds", factory: metrics)
        _ = metrics.snapshot()
        for round in 1...3 {
            counter.increment(by: round)
            latency.record(0.2 * Double(round))
            let snapshot = metrics.snapshot()
            #expect(snapshot == MetricsSnapshot(parsing: metrics.render()))
            #expect(snapshot.value("plumtree_gossip_sent_total") == Double(round * (round + 1) / 2))
            #expect(snapshot.histogram("plumtree_graft_latency_seconds")?.count == Double(round))
        }
        #expect(metrics.snapshotTemplateBuilds == 1, "repeated snapshots should only read numbers")
        // A new series changes the exposition's shape: the next snapshot still sees everything.
        Gauge(label: "memberlist_members", dimensions: [("state", "joining")], factory: metrics).record(2)
        let reshaped = metrics.snapshot()
        #expect(reshaped.value("memberlist_members", ["state": "joining"]) == 2)
        #expect(reshaped == MetricsSnapshot(parsing: metrics.render()))
        #expect(metrics.snapshotTemplateBuilds == 2)
        counter.increment()
        #expect(metrics.snapshot().value("plumtree_gossip_sent_total") == 7)
        #expect(metrics.snapshotTemplateBuilds == 2)
    }
}
