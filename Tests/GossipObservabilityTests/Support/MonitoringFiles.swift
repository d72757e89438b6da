import Foundation
import Testing

/// Reads the operator-facing files under monitoring/ as the tests need them.
enum MonitoringFiles {
    static let alerts = repositoryFile("monitoring/prometheus/alerts.yml")
    static let recordingRulesFile = repositoryFile("monitoring/prometheus/recording-rules.yml")
    static let prometheusConfig = repositoryFile("monitoring/prometheus/prometheus.yml")
    static let ruleTests = repositoryFile("monitoring/prometheus/tests")
    static let alertmanager = repositoryFile("monitoring/alertmanager/alertmanager.yml")
    static let dashboard = repositoryFile("monitoring/grafana/plumtree-dashboard.json")
    static let monitoringDoc = repositoryFile("docs/MONITORING.md")

    /// The alerts the contract names, with their severities.
    static let contractAlerts: [String: String] = [
        "PlumtreeNodeIsolated": "critical", "PlumtreeHighGraftFailures": "critical",
        "PlumtreeCachePressure": "critical", "PlumtreeHighDuplicateRate": "critical",
        "PlumtreeReducedRedundancy": "warning", "PlumtreeGraftFailures": "warning",
        "PlumtreeCacheHighUtilization": "warning", "PlumtreeElevatedDuplicateRate": "warning",
        "PlumtreeGraftBacklog": "warning", "PlumtreeLowPeerCount": "warning", "PlumtreeTargetDown": "critical",
    ]

    static func text(_ url: URL) throws -> String {
        try String(contentsOf: url, encoding: .utf8)
    }

    /// Values of `key: value` lines (e.g. every `- alert: NAME`), in file order.
    static func values(of key: String, in text: String) -> [String] {
        text.split(separator: "\n").compactMap { line in
            var trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("- ") { trimmed.removeFirst(2) }
            guard trimmed.hasPrefix(key + ":") else { return nil }
            return trimmed.dropFirst(key.count + 1).trimmingCharacters(in: .whitespaces)
        }
    }

    /// Every alert name in alerts.yml.
    static func alertNames() throws -> [String] {
        values(of: "alert", in: try text(alerts))
    }

    /// Every recording rule's (name, expression) in recording-rules.yml; folded (`>-`) expressions joined.
    static func recordingRules() throws -> [(name: String, expr: String)] {
        var rules: [(String, String)] = []
        let lines = try text(recordingRulesFile).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var index = 0
        while index < lines.count {
            let trimmed = lines[index].trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("- record:") {
                let name = trimmed.dropFirst("- record:".count).trimmingCharacters(in: .whitespaces)
                index += 1
                let exprLine = lines[index].trimmingCharacters(in: .whitespaces)
                var expr = exprLine.dropFirst("expr:".count).trimmingCharacters(in: .whitespaces)
                if expr == ">-" {
                    let indent = lines[index].prefix { $0 == " " }.count
                    var parts: [String] = []
                    while index + 1 < lines.count, lines[index + 1].prefix(while: { $0 == " " }).count > indent,
                        !lines[index + 1].trimmingCharacters(in: .whitespaces).isEmpty
                    {
                        index += 1
                        parts.append(lines[index].trimmingCharacters(in: .whitespaces))
                    }
                    expr = parts.joined(separator: " ")
                }
                rules.append((name, expr))
            }
            index += 1
        }
        return rules
    }

    /// The dashboard as JSON.
    static func dashboardJSON() throws -> [String: Any] {
        let data = try Data(contentsOf: dashboard)
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    /// Every panel's (title, expressions), with `$instance` left in.
    static func dashboardPanels() throws -> [(title: String, exprs: [String])] {
        let panels = try #require(try dashboardJSON()["panels"] as? [[String: Any]])
        return panels.map { panel in
            let targets = panel["targets"] as? [[String: Any]] ?? []
            return (panel["title"] as? String ?? "", targets.compactMap { $0["expr"] as? String })
        }
    }

    /// A dashboard expression made concrete for Prometheus: the instance variable matches every instance.
    static func concrete(_ expr: String) -> String {
        expr.replacingOccurrences(of: "$instance", with: ".+")
    }
}
