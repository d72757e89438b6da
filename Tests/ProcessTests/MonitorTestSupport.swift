import Foundation
import GossipTestSupport
import Testing
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// What `gossip-node monitor` printed once everything was up: the processes, their PIDs and addresses.
struct MonitorOutput {
    struct Node { let name: String; let pid: Int32; let admin: String }
    var nodes: [Node] = []
    var prometheus = "", prometheusPID: Int32 = 0
    var alertmanager = "", alertmanagerPID: Int32 = 0
    var directory = ""

    init(_ log: String) {
        for line in log.split(separator: "\n").map(String.init) {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            if fields.count == 4, fields[0].hasPrefix("node-"), let pid = Int32(fields[1]) {
                nodes.append(Node(name: fields[0], pid: pid, admin: fields[3]))
            } else if fields.count == 4, ["Prometheus", "Alertmanager"].contains(fields[0]), fields[2] == "(pid",
                      let pid = Int32(fields[3].dropLast()) {
                if fields[0] == "Prometheus" { (prometheus, prometheusPID) = (fields[1], pid) }
                else { (alertmanager, alertmanagerPID) = (fields[1], pid) }
            } else if line.hasPrefix("Generated configuration, targets and logs: ") {
                directory = String(line.dropFirst("Generated configuration, targets and logs: ".count)
                    .prefix { $0 != " " })
            }
        }
    }
}

/// The repository's monitoring/ files made quick for a test, in a folder of the test's workspace: the
/// monitor command runs the repository's files as they are, but their intervals (15 s scrapes, 30 s
/// recording rules) and PlumtreeTargetDown's `for: 1m` would take minutes. Here: 1 s scrapes and
/// evaluations, and PlumtreeTargetDown pending for 10 s (long enough to see it pending, then firing).
/// Everything else, Alertmanager's configuration included, is the repository's text.
enum QuickMonitoringFiles {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("monitoring")

    static func make(in workspace: URL) throws -> URL {
        let root = workspace.appendingPathComponent("monitoring")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("prometheus"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: root.appendingPathComponent("alertmanager"), withIntermediateDirectories: true)
        try copy("prometheus/prometheus.yml", to: root, replacing: [
            ("scrape_interval: 15s", "scrape_interval: 1s"), ("evaluation_interval: 15s", "evaluation_interval: 1s"),
        ])
        try copy("prometheus/recording-rules.yml", to: root, replacing: [("interval: 30s", "interval: 1s")])
        try copy("prometheus/alerts.yml", to: root, replacing: [])
        try copy("alertmanager/alertmanager.yml", to: root, replacing: [])
        // PlumtreeTargetDown's own `for:`, not the first `for: 1m` of the file.
        let alerts = root.appendingPathComponent("prometheus/alerts.yml")
        var text = try String(contentsOf: alerts, encoding: .utf8)
        let rule = try #require(text.range(of: "- alert: PlumtreeTargetDown"), "alerts.yml has no PlumtreeTargetDown")
        let pending = try #require(text.range(of: "for: 1m", range: rule.upperBound..<text.endIndex),
                                   "PlumtreeTargetDown's for: is no longer 1m")
        try #require(!text[rule.upperBound..<pending.lowerBound].contains("- alert:"), "PlumtreeTargetDown has no for:")
        text.replaceSubrange(pending, with: "for: 10s")
        try text.write(to: alerts, atomically: true, encoding: .utf8)
        return root
    }

    private static func copy(_ path: String, to root: URL, replacing: [(String, String)]) throws {
        var text = try String(contentsOf: repository.appendingPathComponent(path).resolvingSymlinksInPath(), encoding: .utf8)
        for (old, new) in replacing {
            try #require(text.contains(old), "\(path) no longer contains \(old)")
            text = text.replacingOccurrences(of: old, with: new)
        }
        try text.write(to: root.appendingPathComponent(path), atomically: true, encoding: .utf8)
    }
}

/// GETs `url` and parses its JSON; nil on any failure (the callers poll).
func getJSON(_ url: String) async -> Any? {
    guard let url = URL(string: url) else { return nil }
    var request = URLRequest(url: url)
    request.timeoutInterval = 5
    guard let (data, response) = try? await URLSession.shared.data(for: request),
          (response as? HTTPURLResponse)?.statusCode == 200 else { return nil }
    return try? JSONSerialization.jsonObject(with: data)
}

/// A PromQL instant query's result vector, as (labels, value) pairs; nil when Prometheus did not answer.
func promQuery(_ base: String, _ query: String) async -> [(labels: [String: String], value: String)]? {
    var allowed = CharacterSet.alphanumerics
    allowed.insert(charactersIn: "-._~")
    let encoded = query.addingPercentEncoding(withAllowedCharacters: allowed) ?? query
    guard let reply = await getJSON("\(base)/api/v1/query?query=\(encoded)") as? [String: Any],
          let result = (reply["data"] as? [String: Any])?["result"] as? [[String: Any]] else { return nil }
    return result.map { ($0["metric"] as? [String: String] ?? [:], ($0["value"] as? [Any])?.last as? String ?? "") }
}

/// Whether a process with this PID still exists (a zombie counts as gone: it no longer runs).
func processExists(_ pid: Int32) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return false }
    // pid (comm) STATE ...: the state follows the last ')'.
    guard let close = stat.lastIndex(of: ")") else { return false }
    return !stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).hasPrefix("Z")
}
