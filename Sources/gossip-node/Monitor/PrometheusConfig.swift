import Foundation
import Yams

/// The Prometheus configuration `gossip-node monitor` runs: the repository's prometheus.yml with only what
/// depends on this run replaced, so its intervals, labels and rule files stay the operator's.
///
/// - `rule_files` are made absolute (relative to the repository's prometheus.yml): the generated file
///   lives in a temporary folder, and the rules Prometheus loads are the repository's own files.
/// - `alerting` points at the Alertmanager this run started, on the port it bound.
/// - The `plumtree` and `prometheus` jobs read their targets from file_sd files that the monitor writes
///   once it knows the ports the nodes and Prometheus really got; nothing is assumed (9101, 9090).
enum PrometheusConfig {
    struct Invalid: Error, CustomStringConvertible {
        var description: String
    }

    /// The jobs whose targets the monitor writes, and their file_sd file names.
    static let nodeJob = "plumtree"
    static let selfJob = "prometheus"
    static func targetsFile(job: String, in directory: URL) -> URL {
        directory.appendingPathComponent("targets-\(job).json")
    }

    static func derive(from source: URL, alertmanager: String, targetsDirectory: URL) throws -> String {
        let text = try String(contentsOf: source, encoding: .utf8)
        guard var config = try Yams.load(yaml: text) as? [String: Any] else {
            throw Invalid(description: "\(source.path) is not a YAML mapping")
        }
        let base = source.deletingLastPathComponent()
        if let rules = config["rule_files"] as? [String] {
            config["rule_files"] = rules.map { $0.hasPrefix("/") ? $0 : base.appendingPathComponent($0).path }
        }
        config["alerting"] = ["alertmanagers": [["static_configs": [["targets": [alertmanager]]]]]]
        guard var jobs = config["scrape_configs"] as? [[String: Any]] else {
            throw Invalid(description: "\(source.path) has no scrape_configs")
        }
        var rewritten = Set<String>()
        for index in jobs.indices {
            guard let name = jobs[index]["job_name"] as? String, [nodeJob, selfJob].contains(name) else { continue }
            jobs[index]["static_configs"] = nil
            jobs[index]["file_sd_configs"] = [["files": [targetsFile(job: name, in: targetsDirectory).path]]]
            rewritten.insert(name)
        }
        // PlumtreeTargetDown watches up{job="plumtree"}: without that job no node is scraped under its name.
        guard rewritten.contains(nodeJob) else {
            throw Invalid(description: "\(source.path) has no scrape job named \(nodeJob)")
        }
        config["scrape_configs"] = jobs
        return try Yams.dump(object: config, sortKeys: true)
    }

    /// Writes a file_sd targets file atomically (Prometheus watches it and must never read half of one).
    static func writeTargets(_ groups: [(target: String, labels: [String: String])], job: String, in directory: URL) throws {
        let entries: [[String: Any]] = groups.map { ["targets": [$0.target], "labels": $0.labels] }
        let data = try JSONSerialization.data(withJSONObject: entries, options: [.prettyPrinted, .sortedKeys])
        try data.write(to: targetsFile(job: job, in: directory), options: .atomic)
    }

    /// The `for:` of alert `name` in a rule file, as written there (e.g. "1m"); nil when it has none.
    static func pendingDuration(of name: String, in rules: URL) -> String? {
        guard let text = try? String(contentsOf: rules, encoding: .utf8),
              let file = (try? Yams.load(yaml: text)) as? [String: Any],
              let groups = file["groups"] as? [[String: Any]] else { return nil }
        for group in groups {
            for rule in group["rules"] as? [[String: Any]] ?? [] where rule["alert"] as? String == name {
                return rule["for"] as? String
            }
        }
        return nil
    }
}
