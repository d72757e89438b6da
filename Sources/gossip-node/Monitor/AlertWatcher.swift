import Foundation
import ProtocolSupport

/// Prints each change of the alerts Prometheus holds (pending, firing, resolved) and of the alerts
/// Alertmanager has received, so the story "stop a node, watch the alert" is visible in the terminal too.
struct AlertWatcher: Sendable {
    let prometheus: SocketAddress
    let alertmanager: SocketAddress
    var interval: Duration = .seconds(2)

    func run() async {
        var inPrometheus: [String: String] = [:]
        var inAlertmanager: [String: String] = [:]
        while !Task.isCancelled {
            if let now = await prometheusAlerts() {
                report(changes: inPrometheus, now, source: "Prometheus")
                inPrometheus = now
            }
            if let now = await alertmanagerAlerts() {
                report(changes: inAlertmanager, now, source: "Alertmanager")
                inAlertmanager = now
            }
            try? await Task.sleep(for: interval)
        }
    }

    /// "alertname instance" -> state (pending, firing), from /api/v1/alerts; nil when it did not answer.
    private func prometheusAlerts() async -> [String: String]? {
        guard let reply = await MonitorHTTP.getJSON(prometheus, "/api/v1/alerts") as? [String: Any],
              let alerts = (reply["data"] as? [String: Any])?["alerts"] as? [[String: Any]] else { return nil }
        return Dictionary(alerts.map { (key($0["labels"]), $0["state"] as? String ?? "?") }) { first, _ in first }
    }

    /// "alertname instance" -> state (active, suppressed), from /api/v2/alerts.
    private func alertmanagerAlerts() async -> [String: String]? {
        guard let alerts = await MonitorHTTP.getJSON(alertmanager, "/api/v2/alerts") as? [[String: Any]] else { return nil }
        return Dictionary(alerts.map {
            (key($0["labels"]), ($0["status"] as? [String: Any])?["state"] as? String ?? "?")
        }) { first, _ in first }
    }

    private func key(_ labels: Any?) -> String {
        let labels = labels as? [String: String] ?? [:]
        return "\(labels["alertname"] ?? "?") instance=\(labels["instance"] ?? "-")"
    }

    private func report(changes before: [String: String], _ now: [String: String], source: String) {
        for (alert, state) in now.sorted(by: { $0.key < $1.key }) where before[alert] != state {
            writeLine("\(Self.clock()) \(source): \(alert) \(state)")
        }
        for alert in before.keys.sorted() where now[alert] == nil {
            writeLine("\(Self.clock()) \(source): \(alert) resolved")
        }
    }

    static func clock() -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "HH:mm:ss"
        return "[\(formatter.string(from: Date()))]"
    }
}
