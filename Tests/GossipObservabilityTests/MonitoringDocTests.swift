import Foundation
import GossipNode
import Testing
@testable import GossipObservability

@Suite("docs/MONITORING.md agrees with the code and the rules")
struct MonitoringDocTests {
    struct Row { var name, type, labels, buckets: String }

    /// The rows of the tables under "## Metric catalogue".
    func catalogueRows() throws -> [Row] {
        let text = try MonitoringFiles.text(MonitoringFiles.monitoringDoc)
        let section = try #require(text.components(separatedBy: "\n## Metric catalogue\n").dropFirst().first)
            .components(separatedBy: "\n## ").first ?? ""
        return section.split(separator: "\n").compactMap { line -> Row? in
            guard line.hasPrefix("| `") else { return nil }
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            guard cells.count >= 6 else { return nil }
            return Row(name: cells[1].replacingOccurrences(of: "`", with: ""), type: cells[2],
                       labels: cells[3].replacingOccurrences(of: "`", with: ""), buckets: cells[4])
        }
    }

    @Test("the metric catalogue lists exactly the metrics a node declares, with their types, labels and buckets")
    func catalogueMatchesDescriptors() throws {
        let rows = try catalogueRows()
        let declared = NodeMetrics().declaredDescriptors
        #expect(Set(rows.map(\.name)) == Set(declared.map(\.name)),
                "doc only: \(Set(rows.map(\.name)).subtracting(declared.map(\.name))); code only: \(Set(declared.map(\.name)).subtracting(rows.map(\.name)))")
        #expect(rows.count == Set(rows.map(\.name)).count, "a metric listed twice")
        for descriptor in declared {
            guard let row = rows.first(where: { $0.name == descriptor.name }) else { continue }
            #expect(row.type == descriptor.kind.rawValue, "\(descriptor.name) type")
            #expect(row.labels == descriptor.labelNames.joined(separator: ", "), "\(descriptor.name) labels")
            let buckets = row.buckets.split(separator: ",").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
            #expect(buckets == descriptor.buckets, "\(descriptor.name) buckets")
        }
    }

    @Test("every alert has a row in the alert table and a runbook entry that its annotation links to")
    func runbooks() throws {
        let text = try MonitoringFiles.text(MonitoringFiles.monitoringDoc)
        let alerts = try MonitoringFiles.text(MonitoringFiles.alerts)
        for name in try MonitoringFiles.alertNames() {
            #expect(text.contains("\n#### \(name)\n"), "no runbook entry for \(name)")
            #expect(text.contains("\n| \(name) |"), "\(name) missing from the alert table")
            #expect(alerts.contains("runbook: \"docs/MONITORING.md#\(name.lowercased())\""), "\(name) runbook link")
        }
    }

    @Test("the documented files, ports and probe paths are the real ones")
    func quickStart() throws {
        let text = try MonitoringFiles.text(MonitoringFiles.monitoringDoc)
        for path in ["monitoring/prometheus/prometheus.yml", "monitoring/prometheus/alerts.yml",
                     "monitoring/prometheus/recording-rules.yml", "monitoring/alertmanager/alertmanager.yml",
                     "monitoring/grafana/plumtree-dashboard.json"] {
            #expect(text.contains(path))
            #expect(FileManager.default.fileExists(atPath: repositoryFile(path).path), "\(path) missing")
        }
        for path in ObservabilityEndpoints.paths { #expect(text.contains("`GET \(path)`")) }
        #expect(text.contains(NodeMetrics.contentType))
        for record in try MonitoringFiles.recordingRules() { #expect(text.contains("`\(record.name)`")) }
        for event in KeyLogEvent.allCases { #expect(text.contains("| \(event.rawValue)"), "log event \(event.rawValue)") }
        for code in HealthReason.Code.allCases { #expect(text.contains("`\(code.rawValue)`"), "reason \(code.rawValue)") }
    }
}

/// A live node's /metrics, fetched over HTTP, against the catalogue operators read.
@Suite("a live node exports exactly the catalogue")
struct LiveNodeCatalogueTests {
    @Test("a live node's /metrics passes promtool, exports every metric the catalogue lists, and only those")
    func liveNodeMatchesCatalogue() async throws {
        let nodes = try await startNodesWithAdmin(2, prefix: "catalogue")
        _ = try await nodes[0].broadcast(Array("catalogue".utf8))
        try await Task.sleep(for: .milliseconds(500))
        let admin = try #require(nodes[1].adminAddress)
        let (status, body) = try await httpGet("http://\(admin)/metrics")
        #expect(status == 200)
        let exported = Set(String(decoding: body, as: UTF8.self).split(separator: "\n").compactMap { line -> String? in
            guard line.hasPrefix("# TYPE ") else { return nil }
            return line.split(separator: " ").dropFirst(2).first.map(String.init)
        })
        let promtool = try Tool.promtool.require()
        let check = try run(promtool, ["check", "metrics"], input: Array(body))
        #expect(check.status == 0 && check.output.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty,
                "promtool check metrics on a live node's /metrics: \(check.summary)")
        let listed = Set(try MonitoringDocTests().catalogueRows().map(\.name))
        #expect(exported.subtracting(listed).isEmpty, "exported but not in docs/MONITORING.md: \(exported.subtracting(listed).sorted())")
        #expect(listed.subtracting(exported).isEmpty, "in docs/MONITORING.md but not exported: \(listed.subtracting(exported).sorted())")
        for node in nodes { await node.shutdown() }
    }
}

/// Real nodes on loopback, each with its admin server on an OS-chosen port, joined to the first.
func startNodesWithAdmin(_ count: Int, prefix: String) async throws -> [GossipNode] {
    var nodes: [GossipNode] = []
    for index in 0..<count {
        var configuration = GossipNodeConfiguration(
            name: "\(prefix)-\(index)", bind: SocketAddress(ipv4: 127, 0, 0, 1, port: 0), profile: .local)
        configuration.admin = SocketAddress(ipv4: 127, 0, 0, 1, port: 0)
        configuration.logLevel = .error
        if let first = nodes.first { configuration.seeds = [.address(try await first.boundAddress)] }
        let node = try await GossipNode(configuration: configuration)
        try await node.start()
        nodes.append(node)
    }
    return nodes
}
