import Foundation
import GossipNode
import ProtocolSupport
import ServiceLifecycle
import Synchronization

/// One `gossip-node monitor` run as a service: start everything, print where to look and what to try,
/// watch until Ctrl-C or SIGTERM (or until Prometheus or Alertmanager dies), then stop it all.
///
/// Startup runs inside the service too, so a Ctrl-C while the nodes are still starting also ends in the
/// cleanup, never with processes left behind.
final class MonitorRun: Service, Sendable {
    let files: MonitoringFiles
    let nodeCount: Int
    let prometheusBinary: String
    let alertmanagerBinary: String
    let broadcastInterval: Duration
    let session: MonitorSession
    private let failure = Mutex(false)

    init(files: MonitoringFiles, nodes: Int, prometheus: String, alertmanager: String, broadcastInterval: Duration,
         session: MonitorSession) {
        self.files = files
        nodeCount = nodes
        prometheusBinary = prometheus
        alertmanagerBinary = alertmanager
        self.broadcastInterval = broadcastInterval
        self.session = session
    }

    var failed: Bool { failure.withLock { $0 } }

    func run() async throws {
        do {
            try await cancelWhenGracefulShutdown { [self] in
                let started = try await start()
                MonitorReport.ready(started, files: files, directory: session.directory)
                await watch(started)
            }
        } catch is CancellationError {
            // Ctrl-C or SIGTERM during startup: nothing to report, the cleanup below runs.
        } catch {
            printError("error: \(error)")
            failure.withLock { $0 = true }
        }
        let stopped = await session.cleanup(tools: ["prometheus", "alertmanager"])
        writeLine("Stopped \(stopped) processes by their PIDs; removed \(session.directory.path).")
    }

    struct Started: Sendable {
        let nodes: [MonitorLaunch.Node]
        let prometheus: MonitorLaunch.Tool
        let alertmanager: MonitorLaunch.Tool
    }

    private func start() async throws -> Started {
        let launch = MonitorLaunch(session: session)
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
        writeLine("Starting \(nodeCount) gossip-node agents on loopback...")
        let nodes = try await launch.startNodes(nodeCount, executable: executable)
        let converged = try await launch.waitForConvergence(nodes)
        writeLine(converged ? "Membership converged: every node sees \(nodes.count) alive members."
                            : "warning: membership did not converge within 30 s")

        writeLine("Starting Alertmanager and Prometheus...")
        let alertmanager = try await launch.startAlertmanager(binary: alertmanagerBinary, configuration: files.alertmanagerConfig)
        // The node targets are known now; Prometheus' own is written once it has bound its port.
        try PrometheusConfig.writeTargets(nodes.map { ("\($0.admin)", ["node": $0.name]) }, job: PrometheusConfig.nodeJob,
                                          in: session.directory)
        try PrometheusConfig.writeTargets([], job: PrometheusConfig.selfJob, in: session.directory)
        let configuration = session.directory.appendingPathComponent("prometheus.yml")
        try PrometheusConfig.derive(from: files.prometheusConfig, alertmanager: "\(alertmanager.address)",
                                    targetsDirectory: session.directory)
            .write(to: configuration, atomically: true, encoding: .utf8)
        let prometheus = try await launch.startPrometheus(binary: prometheusBinary, configuration: configuration)
        try PrometheusConfig.writeTargets([("\(prometheus.address)", [:])], job: PrometheusConfig.selfJob, in: session.directory)
        return Started(nodes: nodes, prometheus: prometheus, alertmanager: alertmanager)
    }

    /// Until cancelled (graceful shutdown) or until Prometheus or Alertmanager exits.
    private func watch(_ started: Started) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await AlertWatcher(prometheus: started.prometheus.address, alertmanager: started.alertmanager.address).run() }
            if broadcastInterval > .zero {
                group.addTask { [broadcastInterval] in await Self.broadcast(to: started.nodes, every: broadcastInterval) }
            }
            group.addTask { [self] in await supervise(started) }
            // The supervisor returns only when a tool died; the others run until cancelled.
            await group.next()
            group.cancelAll()
        }
    }

    /// Says when a node exits (the point of the exercise); a dead Prometheus or Alertmanager ends the run.
    private func supervise(_ started: Started) async {
        var reported = Set<String>()
        while !Task.isCancelled {
            for node in started.nodes where !node.process.isRunning && !reported.contains(node.name) {
                reported.insert(node.name)
                writeLine("\(AlertWatcher.clock()) \(node.name) (pid \(node.process.pid)) exited, status \(node.process.exitStatus ?? -1): "
                          + "its target \(node.admin) goes down at Prometheus' next scrape; watch \(started.prometheus.url)/alerts")
            }
            for tool in [started.prometheus, started.alertmanager] where !tool.process.isRunning {
                // A Ctrl-C in the terminal reaches the tools too (one process group): give our own shutdown a
                // moment to arrive before calling their exit a failure.
                try? await Task.sleep(for: .seconds(1))
                if Task.isCancelled { return }
                printError("error: \(tool.process.name) (pid \(tool.process.pid)) exited, status \(tool.process.exitStatus ?? -1)\n\(tool.process.logTail())")
                failure.withLock { $0 = true }
                return
            }
            try? await Task.sleep(for: .milliseconds(500))
        }
    }

    /// A broadcast from the running nodes in turn, so the rates, the histograms and the recording rules
    /// have something to show.
    private static func broadcast(to nodes: [MonitorLaunch.Node], every interval: Duration) async {
        var round = 0
        while !Task.isCancelled {
            let running = nodes.filter(\.process.isRunning)
            if !running.isEmpty {
                let node = running[round % running.count]
                _ = try? await AdminClient(address: node.admin, timeout: .seconds(2))
                    .post("/v1/broadcast", body: Array("monitor message \(round) from \(node.name)".utf8))
            }
            round += 1
            try? await Task.sleep(for: interval)
        }
    }
}
