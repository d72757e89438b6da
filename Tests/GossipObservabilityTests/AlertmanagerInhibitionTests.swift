import Foundation
import Glibc
import GossipTestSupport
import Testing
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A real Alertmanager with our configuration: a critical alert mutes the warning of the same family on
/// the same instance, and only there.
@Suite("Alertmanager inhibition with our alertmanager.yml on a real server")
struct AlertmanagerInhibitionTests {
    @Test("critical inhibits the same family's warning on the same instance, not elsewhere")
    func inhibition() async throws {
        let binary = try Tool.alertmanager.require()
        let directory = try makeTemporaryDirectory()
        let logURL = directory.appendingPathComponent("alertmanager.log")
        _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
        let log = try FileHandle(forWritingTo: logURL)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = [
            "--config.file=\(MonitoringFiles.alertmanager.path)",
            "--storage.path=\(directory.appendingPathComponent("data").path)",
            "--web.listen-address=127.0.0.1:0", "--cluster.listen-address=",
        ]
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let pid = process.processIdentifier
        var failed = true
        defer {
            kill(pid, SIGTERM)
            let deadline = ContinuousClock.now + .seconds(10)
            while process.isRunning && ContinuousClock.now < deadline { usleep(50_000) }
            if process.isRunning { kill(pid, SIGKILL); process.waitUntilExit() }
            try? log.close()
            if failed {
                let tail = ((try? String(contentsOf: logURL, encoding: .utf8)) ?? "").suffix(3000)
                Issue.record("Alertmanager log kept at \(logURL.path):\n\(tail)")
            } else {
                try? FileManager.default.removeItem(at: directory)
            }
        }
        let port = try await listeningPort(of: process, named: "alertmanager")
        let base = "http://127.0.0.1:\(port)"
        var ready = false
        for _ in 0..<120 where process.isRunning {
            if let (status, _) = try? await httpGet(base + "/-/ready"), status == 200 { ready = true; break }
            try await Task.sleep(for: .milliseconds(250))
        }
        try #require(ready, "Alertmanager did not become ready")

        func alert(_ name: String, _ severity: String, _ family: String, _ instance: String) -> [String: Any] {
            ["labels": ["alertname": name, "severity": severity, "family": family, "instance": instance,
                        "component": "plumtree", "job": "plumtree"],
             "annotations": ["summary": name]]
        }
        let alerts = [
            alert("PlumtreeCachePressure", "critical", "cache", "node-a"),
            alert("PlumtreeCacheHighUtilization", "warning", "cache", "node-a"),
            alert("PlumtreeCacheHighUtilization", "warning", "cache", "node-b"),
            alert("PlumtreeGraftBacklog", "warning", "graft_backlog", "node-a"),
        ]
        var request = URLRequest(url: try requireURLValue(base + "/api/v2/alerts"))
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = try JSONSerialization.data(withJSONObject: alerts)
        let (_, response) = try await URLSession.shared.data(for: request)
        #expect((response as? HTTPURLResponse)?.statusCode == 200)

        // Inhibition is evaluated when alerts are listed; poll briefly for all four to be present.
        var states: [String: String] = [:]
        for _ in 0..<40 {
            guard let (_, data) = try? await httpGet(base + "/api/v2/alerts"),
                  let listed = try? JSONSerialization.jsonObject(with: data) as? [[String: Any]] else { continue }
            states = [:]
            for item in listed {
                let labels = item["labels"] as? [String: String] ?? [:]
                let status = item["status"] as? [String: Any] ?? [:]
                states["\(labels["alertname"] ?? "?")@\(labels["instance"] ?? "?")"] = status["state"] as? String
            }
            if states.count == 4 { break }
            try await Task.sleep(for: .milliseconds(250))
        }
        #expect(states["PlumtreeCachePressure@node-a"] == "active")
        #expect(states["PlumtreeCacheHighUtilization@node-a"] == "suppressed", "\(states)")
        #expect(states["PlumtreeCacheHighUtilization@node-b"] == "active", "\(states)")
        #expect(states["PlumtreeGraftBacklog@node-a"] == "active", "\(states)")
        failed = states.count != 4 || states["PlumtreeCacheHighUtilization@node-a"] != "suppressed"
    }
}
