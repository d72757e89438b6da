import Foundation
import Testing
@testable import GossipObservability

@Suite("monitoring/: rules, scrape config, Alertmanager and dashboard validated by the real tools")
struct MonitoringConfigTests {
    @Test("promtool check rules accepts the alert and recording rules")
    func checkRules() throws {
        let promtool = try Tool.promtool.require()
        let result = try run(promtool, ["check", "rules", MonitoringFiles.alerts.path, MonitoringFiles.recordingRulesFile.path])
        #expect(result.status == 0, "\(result.summary)")
        #expect(result.output.contains("SUCCESS: \(try MonitoringFiles.alertNames().count) rules found"), "\(result.output)")
    }

    @Test("promtool check config accepts prometheus.yml and its rule files")
    func checkConfig() throws {
        let promtool = try Tool.promtool.require()
        let result = try run(promtool, ["check", "config", MonitoringFiles.prometheusConfig.path])
        #expect(result.status == 0, "\(result.summary)")
        #expect(result.output.contains("2 rule files found"), "\(result.output)")
        let config = try MonitoringFiles.text(MonitoringFiles.prometheusConfig)
        for port in 9101...9105 { #expect(config.contains("127.0.0.1:\(port)")) }
        #expect(config.contains("job_name: plumtree"))
    }

    @Test("promtool test rules: every alert's unit test passes")
    func unitTests() throws {
        let promtool = try Tool.promtool.require()
        let files = try FileManager.default.contentsOfDirectory(atPath: MonitoringFiles.ruleTests.path)
            .filter { $0.hasSuffix(".yml") }.sorted()
        #expect(files.contains("alerts_test.yml"))
        let result = try run(promtool, ["test", "rules"] + files, workingDirectory: MonitoringFiles.ruleTests)
        #expect(result.status == 0, "\(result.summary)")
        #expect(!result.output.contains("FAILED"), "\(result.output)")
    }

    @Test("every contract alert exists, with membership alerts besides, and every alert has a unit test")
    func alertCoverage() throws {
        let names = try MonitoringFiles.alertNames()
        #expect(Set(names).count == names.count, "duplicate alert names")
        for (name, _) in MonitoringFiles.contractAlerts { #expect(names.contains(name), "\(name) missing") }
        let membership = names.filter { $0.hasPrefix("Memberlist") }
        #expect(membership.contains("MemberlistMembersSuspect"))
        #expect(membership.contains("MemberlistMembersDead"))
        #expect(membership.contains("MemberlistNodeDegraded"))
        let tests = try MonitoringFiles.text(MonitoringFiles.ruleTests.appendingPathComponent("alerts_test.yml"))
        let tested = Set(MonitoringFiles.values(of: "alertname", in: tests))
        #expect(tested == Set(names), "alerts without unit tests: \(Set(names).subtracting(tested))")
        // Each test checks the alert fires with the expected labels and stays silent before its `for`.
        for name in names {
            let occurrences = tests.components(separatedBy: "alertname: \(name)\n").count - 1
            #expect(occurrences >= 2, "\(name): needs a silent and a firing evaluation")
        }
        #expect(tests.components(separatedBy: "exp_alerts: []").count - 1 >= names.count)
    }

    @Test("a threshold change makes the unit tests fail (the tests really check thresholds)")
    func unitTestsCatchThresholdChange() throws {
        let promtool = try Tool.promtool.require()
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let alerts = try MonitoringFiles.text(MonitoringFiles.alerts)
        let loosened = alerts.replacingOccurrences(of: "plumtree_eager_peers < 1", with: "plumtree_eager_peers <= 1")
        #expect(loosened != alerts)
        try loosened.write(to: directory.appendingPathComponent("alerts.yml"), atomically: true, encoding: .utf8)
        let tests = directory.appendingPathComponent("tests")
        try FileManager.default.createDirectory(at: tests, withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            at: MonitoringFiles.ruleTests.appendingPathComponent("alerts_test.yml"),
            to: tests.appendingPathComponent("alerts_test.yml"))
        let result = try run(promtool, ["test", "rules", "alerts_test.yml"], workingDirectory: tests)
        #expect(result.status != 0)
        #expect(result.output.contains("PlumtreeNodeIsolated"))
    }

    @Test("amtool accepts alertmanager.yml")
    func alertmanagerConfig() throws {
        let amtool = try Tool.amtool.require()
        let result = try run(amtool, ["check-config", MonitoringFiles.alertmanager.path])
        #expect(result.status == 0, "\(result.summary)")
        #expect(result.output.contains("2 inhibit rules"), "\(result.output)")
    }

    @Test("amtool routes: a critical alert pages, a warning goes to the team, never the other way")
    func routes() throws {
        let amtool = try Tool.amtool.require()
        func route(_ expected: String, _ labels: [String]) throws -> ProcessResult {
            try run(amtool, ["config", "routes", "test", "--config.file=\(MonitoringFiles.alertmanager.path)",
                             "--verify.receivers=\(expected)"] + labels)
        }
        let critical = ["alertname=PlumtreeNodeIsolated", "severity=critical", "component=plumtree", "instance=127.0.0.1:9101"]
        let warning = ["alertname=PlumtreeLowPeerCount", "severity=warning", "component=plumtree", "instance=127.0.0.1:9101"]
        let criticalResult = try route("oncall-pager", critical)
        #expect(criticalResult.status == 0, "\(criticalResult.summary)")
        let warningResult = try route("team-warnings", warning)
        #expect(warningResult.status == 0, "\(warningResult.summary)")
        #expect(try route("team-warnings", critical).status != 0)
        #expect(try route("oncall-pager", warning).status != 0)
    }

    @Test("alertmanager inhibits warnings by the critical alert of the same family on the same instance")
    func inhibitionShape() throws {
        let config = try MonitoringFiles.text(MonitoringFiles.alertmanager)
        #expect(config.contains("equal: [family, instance]"))
        #expect(config.contains("group_by: [alertname, instance]"))
        // Every warning alert shares its family with a critical alert, or has no critical counterpart.
        let alerts = try MonitoringFiles.text(MonitoringFiles.alerts)
        let families = MonitoringFiles.values(of: "family", in: alerts)
        #expect(families.count == (try MonitoringFiles.alertNames().count), "every alert has a family label")
        for pair in [("peers", "PlumtreeNodeIsolated"), ("cache", "PlumtreeCachePressure"),
                     ("graft_failures", "PlumtreeHighGraftFailures"), ("duplicates", "PlumtreeHighDuplicateRate")] {
            #expect(families.filter { $0 == pair.0 }.count >= 2, "family \(pair.0) pairs \(pair.1) with a warning")
        }
    }

    @Test("every recording-rule and dashboard expression parses (promtool check rules)")
    func expressionsParse() throws {
        let promtool = try Tool.promtool.require()
        var expressions = try MonitoringFiles.recordingRules().map(\.expr)
        #expect(expressions.count == 7)
        for panel in try MonitoringFiles.dashboardPanels() { expressions += panel.exprs }
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        var rules = "groups:\n  - name: expressions\n    rules:\n"
        for (index, expr) in expressions.enumerated() {
            let quoted = MonitoringFiles.concrete(expr).replacingOccurrences(of: "'", with: "''")
            rules += "      - record: check:expression_\(index)\n        expr: '\(quoted)'\n"
        }
        let file = directory.appendingPathComponent("expressions.yml")
        try rules.write(to: file, atomically: true, encoding: .utf8)
        let result = try run(promtool, ["check", "rules", file.path])
        #expect(result.status == 0, "\(result.summary)")
        #expect(result.output.contains("SUCCESS: \(expressions.count) rules found"), "\(result.output)")

        // And a broken expression is caught the same way.
        try "groups:\n  - name: broken\n    rules:\n      - record: check:broken\n        expr: 'rate(plumtree_gossip_sent_total[5m]'\n"
            .write(to: file, atomically: true, encoding: .utf8)
        #expect(try run(promtool, ["check", "rules", file.path]).status != 0)
    }

    @Test("the dashboard has an instance variable and the required panels")
    func dashboardShape() throws {
        let dashboard = try MonitoringFiles.dashboardJSON()
        let variables = try #require((dashboard["templating"] as? [String: Any])?["list"] as? [[String: Any]])
        let instance = try #require(variables.first { $0["name"] as? String == "instance" })
        #expect(instance["type"] as? String == "query")
        #expect(instance["includeAll"] as? Bool == true)
        let panels = try MonitoringFiles.dashboardPanels()
        let titles = Set(panels.map(\.title))
        for required in ["Message Rate", "Peer Counts", "Graft Operations", "Graft Latency", "Duplicate Rate",
                         "Cache Utilisation", "P99 Graft Latency", "Health Status per Node", "IHave Batch Sizes",
                         "Message Hops", "Members by State", "Awareness Score", "Probe Round-Trip Time"] {
            #expect(titles.contains(required), "panel \(required) missing")
        }
        for panel in panels {
            #expect(!panel.exprs.isEmpty, "\(panel.title) has no query")
            for expr in panel.exprs { #expect(expr.contains("$instance"), "\(panel.title): \(expr) ignores the instance variable") }
        }
        let rawPanels = try #require(dashboard["panels"] as? [[String: Any]])
        let heatmap = rawPanels.first { $0["title"] as? String == "Graft Latency" }
        #expect(heatmap?["type"] as? String == "heatmap")
    }
}
