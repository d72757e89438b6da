import Foundation
import GossipTestSupport
import Testing

/// `gossip-node monitor` (`make monitor`) as a user runs it: real agents, Debian's Prometheus and
/// Alertmanager, ports read back, a node killed, the alert pending then firing, everything stopped by PID.
@Suite(.serialized) struct MonitorCommandTests {
    /// Starts the monitor on the test's quick copy of monitoring/ and waits (bounded) for its ready report.
    static func startMonitor(nodes: Int, workspace: TestWorkspace) async throws -> (ManagedProcess, MonitorOutput) {
        let monitoring = try QuickMonitoringFiles.make(in: workspace.url)
        let monitor = try ManagedProcess(name: "monitor", executable: try GossipNodeBinary.path(),
                                         arguments: ["monitor", "--nodes", "\(nodes)", "--monitoring-dir", monitoring.path,
                                                     "--broadcast-interval", "300"],
                                         logDirectory: workspace.url)
        let ready = await eventually(timeout: .seconds(60), every: .milliseconds(200)) {
            !monitor.isRunning || monitor.log().contains("Running until Ctrl-C")
        }
        let output = MonitorOutput(monitor.log())
        try #require(ready && monitor.isRunning, "the monitor did not report ready within 60 s\n\(workspace.report([monitor]))")
        try #require(output.nodes.count == nodes && !output.prometheus.isEmpty && !output.alertmanager.isEmpty
                     && !output.directory.isEmpty, "unreadable ready report\n\(monitor.log())")
        return (monitor, output)
    }

    @Test("targets up, recording rules evaluating, a killed node's alert pending then firing and in Alertmanager; SIGTERM stops it all")
    func killedNodeFiresTargetDown() async throws {
        let workspace = try TestWorkspace("monitor")
        let (monitor, output) = try await Self.startMonitor(nodes: 3, workspace: workspace)
        var passed = false
        defer {
            if passed { workspace.discard() } else { print(workspace.report([monitor])) }
            monitor.signal(SIGKILL)
        }
        let prometheus = output.prometheus
        let admins = Set(output.nodes.map(\.admin))

        // The addresses reported are the ones the processes hold (read back from the kernel, not assumed).
        // Polled: /proc/net/tcp is generated a page at a time, and a row can be skipped in a read while other
        // processes open and close sockets (the other process tests run beside this one).
        for node in output.nodes {
            let port = try #require(UInt16(node.admin.split(separator: ":").last ?? ""))
            let listens = await eventually(timeout: .seconds(5)) { ListeningSockets.of(pid: node.pid).tcpOnly.contains(port) }
            #expect(listens, "\(node.name) does not listen on \(node.admin): waited 5 s")
        }
        let prometheusPort = try #require(UInt16(prometheus.split(separator: ":").last ?? ""))
        let prometheusListens = await eventually(timeout: .seconds(5)) {
            ListeningSockets.of(pid: output.prometheusPID).tcp == [prometheusPort]
        }
        #expect(prometheusListens, "Prometheus should listen on \(prometheus) alone: waited 5 s")

        // Every node is a plumtree target, scraped where it really listens, and up.
        var targets = ""
        let up = await eventually(timeout: .seconds(30), every: .milliseconds(250)) {
            guard let reply = await getJSON("\(prometheus)/api/v1/targets") as? [String: Any],
                  let active = (reply["data"] as? [String: Any])?["activeTargets"] as? [[String: Any]] else { return false }
            let plumtree = active.filter { ($0["labels"] as? [String: String])?["job"] == "plumtree" }
            targets = plumtree.map { "\($0["scrapeUrl"] ?? "?") \($0["health"] ?? "?")" }.joined(separator: ", ")
            return Set(plumtree.compactMap { $0["scrapeUrl"] as? String }) == Set(admins.map { "http://\($0)/metrics" })
                && plumtree.allSatisfy { $0["health"] as? String == "up" }
        }
        #expect(up, "plumtree targets: \(targets)")

        // The repository's recording rules evaluate: one series per node, and the cluster health score.
        var recorded = ""
        let recording = await eventually(timeout: .seconds(30), every: .milliseconds(500)) {
            let ratio = await promQuery(prometheus, "plumtree:cache_utilisation:ratio") ?? []
            let score = await promQuery(prometheus, "plumtree:cluster_health_score") ?? []
            recorded = "cache_utilisation \(ratio.map(\.labels)) health_score \(score.map(\.labels))"
            return Set(ratio.compactMap { $0.labels["instance"] }) == admins && Set(score.compactMap { $0.labels["instance"] }) == admins
        }
        #expect(recording, "recording rules: \(recorded)")

        // The healthy cluster raises nothing of its own: its nodes' deliveries are read, none dropped.
        let dropped = await promQuery(prometheus, "sum(gossip_node_deliveries_dropped_total)")
        #expect(dropped?.first?.value == "0", "deliveries dropped on a healthy cluster: \(String(describing: dropped))")

        // A crash: the last node is killed by its PID. Its alert goes pending, then fires.
        let victim = output.nodes[output.nodes.count - 1]
        kill(victim.pid, SIGKILL)
        var states: [String] = []
        let fired = await eventually(timeout: .seconds(60), every: .milliseconds(250)) {
            let alerts = await promQuery(prometheus, "ALERTS{alertname=\"PlumtreeTargetDown\"}") ?? []
            for alert in alerts {
                let state = "\(alert.labels["instance"] ?? "?") \(alert.labels["alertstate"] ?? "?")"
                if states.last != state { states.append(state) }
            }
            return states.contains("\(victim.admin) firing")
        }
        #expect(fired, "PlumtreeTargetDown states seen: \(states)")
        #expect(states.first == "\(victim.admin) pending", "it should be pending before it fires: \(states)")
        #expect(Set(states.map { String($0.split(separator: " ")[0]) }) == [victim.admin], "only the killed node is down: \(states)")

        // Prometheus sent it to the Alertmanager the monitor started.
        var received = ""
        let inAlertmanager = await eventually(timeout: .seconds(30), every: .milliseconds(250)) {
            let alerts = await getJSON("\(output.alertmanager)/api/v2/alerts") as? [[String: Any]] ?? []
            let ours = alerts.filter { ($0["labels"] as? [String: String])?["alertname"] == "PlumtreeTargetDown" }
            received = "\(ours.map { ($0["labels"] as? [String: String])?["instance"] ?? "?" })"
            return ours.contains {
                ($0["labels"] as? [String: String])?["instance"] == victim.admin
                    && ($0["status"] as? [String: Any])?["state"] as? String == "active"
            }
        }
        #expect(inAlertmanager, "Alertmanager's PlumtreeTargetDown alerts: \(received)")

        // The monitor told the user, in order: the node exited, its alert pending, then firing.
        let said = await eventually(timeout: .seconds(10), every: .milliseconds(250)) {
            monitor.log().contains("PlumtreeTargetDown instance=\(victim.admin) firing")
        }
        let log = monitor.log()
        #expect(said && log.contains("\(victim.name) (pid \(victim.pid)) exited"), "the monitor's output:\n\(log)")
        #expect(log.contains("Prometheus: PlumtreeTargetDown instance=\(victim.admin) pending"))

        // SIGTERM: every process it started stopped by its PID, the temporary folder gone, exit 0.
        monitor.signal(SIGTERM)
        let status = await monitor.waitForExit(timeout: .seconds(40))
        #expect(status == 0, "the monitor should exit 0 after SIGTERM; exit \(status.map(String.init) ?? "none")")
        let children = output.nodes.map(\.pid) + [output.prometheusPID, output.alertmanagerPID]
        #expect(children.filter(processExists).isEmpty, "still running: \(children.filter(processExists))")
        #expect(!FileManager.default.fileExists(atPath: output.directory), "\(output.directory) was not removed")
        #expect(monitor.log().contains("Stopped 4 processes by their PIDs"), "the killed node was already gone: 4 of 5 stopped")
        passed = up && recording && fired && inAlertmanager && status == 0
    }

    @Test("Ctrl-C (SIGINT) stops every process by its PID and removes the temporary folder")
    func interruptCleansUp() async throws {
        let workspace = try TestWorkspace("monitor-sigint")
        let (monitor, output) = try await Self.startMonitor(nodes: 2, workspace: workspace)
        var passed = false
        defer {
            if passed { workspace.discard() } else { print(workspace.report([monitor])) }
            monitor.signal(SIGKILL)
        }
        let children = output.nodes.map(\.pid) + [output.prometheusPID, output.alertmanagerPID]
        #expect(children.allSatisfy(processExists), "every child runs before the interrupt")
        monitor.signal(SIGINT)
        let status = await monitor.waitForExit(timeout: .seconds(40))
        #expect(status == 0, "exit \(status.map(String.init) ?? "none")")
        #expect(children.filter(processExists).isEmpty, "still running: \(children.filter(processExists))")
        #expect(!FileManager.default.fileExists(atPath: output.directory), "\(output.directory) was not removed")
        passed = status == 0 && children.filter(processExists).isEmpty
    }
}
