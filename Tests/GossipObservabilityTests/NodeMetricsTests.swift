import CoreMetrics
import Foundation
import Testing
import ProtocolSupport
@testable import GossipObservability

@Suite("NodeMetrics: per-node registry with HELP text and exact buckets")
struct NodeMetricsTests {
    let declared = MetricContract.plumtree + MetricContract.membership

    @Test("counters, gauges and labels reach the exposition with HELP and TYPE")
    func countersGaugesAndLabels() {
        let metrics = NodeMetrics(descriptors: declared)
        let delivered = Counter(label: "plumtree_messages_delivered_total", factory: metrics)
        let eager = Gauge(label: "plumtree_eager_peers", factory: metrics)
        let alive = Gauge(label: "memberlist_members", dimensions: [("state", "alive")], factory: metrics)
        let suspect = Meter(label: "memberlist_members", dimensions: [("state", "suspect")], factory: metrics)
        delivered.increment(by: 3)
        delivered.increment()
        eager.record(2)
        alive.record(5)
        suspect.set(1)

        let text = String(decoding: metrics.render(), as: UTF8.self)
        #expect(text.contains("# HELP plumtree_messages_delivered_total Messages from other nodes handed to the application (first copy only).\n"))
        #expect(text.contains("# TYPE plumtree_messages_delivered_total counter\n"))
        #expect(text.contains("plumtree_messages_delivered_total 4\n"))
        #expect(text.contains("# TYPE plumtree_eager_peers gauge\n"))
        #expect(text.contains("plumtree_eager_peers 2.0\n"))
        #expect(text.contains("memberlist_members{state=\"alive\"} 5.0\n"))
        #expect(text.contains("memberlist_members{state=\"suspect\"} 1.0\n"))
        #expect(metrics.catalogueViolations.isEmpty, "\(metrics.catalogueViolations)")

        let snapshot = metrics.snapshot()
        #expect(snapshot.value("memberlist_members", ["state": "alive"]) == 5)
        #expect(snapshot.value("memberlist_members") == 6)
        #expect(snapshot.value("plumtree_messages_delivered_total") == 4)
        #expect(snapshot.family("plumtree_eager_peers")?.type == "gauge")
    }

    @Test("histograms get exactly the contract's buckets, whether recorded by Recorder or Timer")
    func histogramBuckets() throws {
        let metrics = NodeMetrics(descriptors: declared)
        let latency = Timer(label: "plumtree_graft_latency_seconds", factory: metrics)
        let size = Recorder(label: "plumtree_message_size_bytes", factory: metrics)
        let hops = Recorder(label: "plumtree_message_hops", factory: metrics)
        let batch = Recorder(label: "plumtree_ihave_batch_size", factory: metrics)
        latency.recordNanoseconds(20_000_000)  // 0.02 s: in the 0.05 bucket, not the 0.01 one
        latency.recordMilliseconds(700)
        size.record(2000)
        hops.record(3)
        batch.record(64)

        let snapshot = metrics.snapshot()
        for descriptor in MetricContract.plumtree where descriptor.kind == .histogram {
            let histogram = try #require(snapshot.histogram(descriptor.name), "\(descriptor.name) missing")
            #expect(histogram.buckets.map(\.upperBound) == descriptor.buckets, "\(descriptor.name)")
            #expect(snapshot.family(descriptor.name)?.help == descriptor.help)
        }
        let graft = try #require(snapshot.histogram("plumtree_graft_latency_seconds"))
        #expect(graft.count == 2)
        #expect(abs(graft.sum - 0.72) < 1e-9)
        #expect(graft.buckets.map(\.cumulativeCount) == [0, 1, 1, 1, 2, 2])
        let hopsHistogram = try #require(snapshot.histogram("plumtree_message_hops"))
        #expect(hopsHistogram.buckets.map(\.cumulativeCount) == [0, 0, 1, 1, 1])

        let text = String(decoding: metrics.render(), as: UTF8.self)
        #expect(text.contains("plumtree_graft_latency_seconds_bucket{le=\"0.01\"} 0\n"))
        #expect(text.contains("plumtree_graft_latency_seconds_bucket{le=\"+Inf\"} 2\n"))
        #expect(text.contains("plumtree_message_size_bytes_bucket{le=\"1024.0\"} 0\n"))
        #expect(text.contains("plumtree_message_size_bytes_bucket{le=\"10240.0\"} 1\n"))
    }

    @Test("nodes in one process keep separate values")
    func separateNodes() {
        let nodes = (0..<3).map { _ in NodeMetrics(descriptors: declared) }
        for (index, node) in nodes.enumerated() {
            let counter = Counter(label: "plumtree_gossip_sent_total", factory: node)
            counter.increment(by: (index + 1) * 10)
            Gauge(label: "plumtree_cache_capacity", factory: node).record(1000 * (index + 1))
        }
        for (index, node) in nodes.enumerated() {
            let snapshot = node.snapshot()
            #expect(snapshot.value("plumtree_gossip_sent_total") == Double((index + 1) * 10))
            #expect(snapshot.value("plumtree_cache_capacity") == Double(1000 * (index + 1)))
        }
    }

    @Test("the seed library's three flaws are absent: total_peers, cache_capacity and buckets exported")
    func seedFlawsAbsent() {
        let metrics = NodeMetrics(descriptors: declared)
        metrics.registerAllDeclared()
        let text = String(decoding: metrics.render(), as: UTF8.self)
        #expect(text.contains("\nplumtree_total_peers "))
        #expect(!text.contains("plumtree_peer_count"))
        #expect(text.contains("\nplumtree_cache_capacity "))
        #expect(text.contains("plumtree_ihave_batch_size_bucket{le=\"64.0\"}"))
        #expect(!text.contains("plumtree_graft_latency_seconds_bucket{le=\"0.005\"}"), "default buckets must not leak in")
    }

    @Test("every contract metric is exported with HELP once registered, plus plumtree_health_status")
    func everyContractMetricExported() {
        let metrics = NodeMetrics(descriptors: declared)
        metrics.registerAllDeclared()
        let snapshot = metrics.snapshot()
        for descriptor in MetricContract.all {
            let family = snapshot.family(descriptor.name)
            #expect(family != nil, "\(descriptor.name) not exported")
            #expect(family?.help == descriptor.help, "\(descriptor.name) HELP")
            #expect(family?.type == descriptor.kind.rawValue, "\(descriptor.name) TYPE")
        }
        #expect(snapshot.value("plumtree_health_status") == 0)
        metrics.recordHealth(.unhealthy)
        #expect(metrics.snapshot().value("plumtree_health_status") == 2)
        #expect(metrics.catalogueViolations.isEmpty, "\(metrics.catalogueViolations)")
    }

    @Test("undeclared metrics still get HELP and are reported; conflicting kinds never crash")
    func violationsReported() {
        let metrics = NodeMetrics(descriptors: declared)
        Counter(label: "gossip_unplanned_total", factory: metrics).increment()
        // Declared as a gauge, recorded as a counter: exported as asked, reported as a violation.
        Counter(label: "plumtree_lazy_peers", factory: metrics).increment()
        // The same name again as another kind would make the registry stop the process; it is refused.
        Gauge(label: "plumtree_lazy_peers", factory: metrics).record(4)
        // Labels the descriptor does not list.
        Gauge(label: "plumtree_eager_peers", dimensions: [("zone", "a")], factory: metrics).record(1)

        let text = String(decoding: metrics.render(), as: UTF8.self)
        #expect(text.contains("# HELP gossip_unplanned_total gossip_unplanned_total (not declared in the metric catalogue)"))
        let violations = metrics.catalogueViolations.joined(separator: "\n")
        #expect(violations.contains("gossip_unplanned_total: recorded but not declared"))
        #expect(violations.contains("plumtree_lazy_peers: declared as gauge, recorded as counter"))
        #expect(violations.contains("plumtree_lazy_peers: registered as counter"))
        #expect(violations.contains("plumtree_eager_peers: declared labels"))
        #expect(!text.contains("plumtree_lazy_peers 4"))
    }

    @Test("dimensions map to labels in name order, so one label set is one series")
    func dimensionOrder() {
        let metrics = NodeMetrics(descriptors: [
            MetricDescriptor(name: "test_pairs_total", kind: .counter, help: "pairs", labelNames: ["a", "b"]),
        ])
        Counter(label: "test_pairs_total", dimensions: [("b", "2"), ("a", "1")], factory: metrics).increment()
        Counter(label: "test_pairs_total", dimensions: [("a", "1"), ("b", "2")], factory: metrics).increment()
        let snapshot = metrics.snapshot()
        #expect(snapshot.family("test_pairs_total")?.series.count == 1)
        #expect(snapshot.value("test_pairs_total", ["a": "1", "b": "2"]) == 2)
    }

    @Test("the exposition's content type is version 0.0.4 text")
    func contentType() {
        #expect(NodeMetrics.contentType == "text/plain; version=0.0.4; charset=utf-8")
        let answer = ObservabilityEndpoints.metrics(NodeMetrics(descriptors: declared))
        #expect(answer.status == 200)
        #expect(answer.contentType == NodeMetrics.contentType)
        #expect(answer.bodyText.contains("# TYPE plumtree_health_status gauge"))
    }

    @Test("promtool check metrics accepts a registry holding every metric of the contract")
    func promtoolAcceptsExposition() throws {
        let promtool = try Tool.promtool.require()
        let metrics = NodeMetrics(descriptors: declared)
        metrics.registerAllDeclared()
        Counter(label: "plumtree_messages_delivered_total", factory: metrics).increment(by: 7)
        Timer(label: "plumtree_graft_latency_seconds", factory: metrics).recordMilliseconds(30)
        Gauge(label: "memberlist_members", dimensions: [("state", "alive")], factory: metrics).record(3)
        let result = try run(promtool, ["check", "metrics"], input: metrics.render())
        #expect(result.status == 0, "\(result.summary)")
        #expect(result.output.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "promtool complained: \(result.output)")
    }

    @Test("promtool check metrics would complain about a metric without HELP (the check can fail)")
    func promtoolDetectsMissingHelp() throws {
        let promtool = try Tool.promtool.require()
        let text = "# TYPE gossip_nohelp_total counter\ngossip_nohelp_total 1\n"
        let result = try run(promtool, ["check", "metrics"], input: Array(text.utf8))
        #expect(result.status != 0 || !result.output.isEmpty)
    }

    @Test("histograms record from many threads without losing observations, with labels, one family each")
    func concurrentLabelledHistograms() async throws {
        let metrics = NodeMetrics(descriptors: [
            MetricDescriptor(name: "test_rtt_seconds", kind: .histogram, help: "rtt", buckets: [0.1, 1], labelNames: ["path"]),
        ])
        let direct = Recorder(label: "test_rtt_seconds", dimensions: [("path", "direct")], factory: metrics)
        let indirect = Recorder(label: "test_rtt_seconds", dimensions: [("path", "indirect")], factory: metrics)
        await withTaskGroup(of: Void.self) { group in
            for task in 0..<4 {
                group.addTask {
                    for i in 0..<10_000 { (task % 2 == 0 ? direct : indirect).record(i % 2 == 0 ? 0.05 : 0.5) }
                }
            }
        }
        let snapshot = metrics.snapshot()
        let histogram = try #require(snapshot.histogram("test_rtt_seconds", ["path": "direct"]))
        #expect(histogram.count == 20_000)
        #expect(histogram.buckets.map(\.cumulativeCount) == [10_000, 20_000])
        #expect(abs(histogram.sum - (10_000 * 0.05 + 10_000 * 0.5)) < 1e-6)
        let text = String(decoding: metrics.render(), as: UTF8.self)
        #expect(text.components(separatedBy: "# TYPE test_rtt_seconds histogram").count == 2)
        #expect(text.contains("test_rtt_seconds_bucket{path=\"indirect\",le=\"+Inf\"} 20000\n"))
        #expect(snapshot == MetricsSnapshot(parsing: metrics.render()))
    }
}
