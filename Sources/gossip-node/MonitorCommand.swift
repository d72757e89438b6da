import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle

/// `gossip-node monitor` (`make monitor`): the demo cluster watched by a real Prometheus and Alertmanager
/// running the repository's monitoring/ files, so an operator can stop a node and watch the alert fire.
///
/// The nodes run as separate `gossip-node agent` processes (a node can then be killed or told to leave,
/// as in production); every process binds port 0 and its port is read back, and the scrape targets are
/// written from those ports. Ctrl-C or SIGTERM stops every process by its PID and removes the temporary
/// folder.
struct MonitorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "monitor",
        abstract: "Run a local cluster with Prometheus and Alertmanager on the repository's monitoring/ files.")

    @Option(help: "Nodes to start, each a gossip-node agent process.") var nodes = 5
    @Option(help: "The folder holding prometheus/prometheus.yml, its rule files, and alertmanager/alertmanager.yml.")
    var monitoringDir = "monitoring"
    @Option(help: "The Prometheus server (default: prometheus on PATH or in /usr/bin).") var prometheus: String?
    @Option(help: "The Alertmanager server (default: prometheus-alertmanager, Debian's name, or alertmanager).")
    var alertmanager: String?
    @Option(help: "Milliseconds between the background broadcasts that keep the rates moving (0: none).")
    var broadcastInterval = 1000

    func validate() throws {
        guard (2...32).contains(nodes) else { throw ValidationError("--nodes must be between 2 and 32") }
        guard (0...3_600_000).contains(broadcastInterval) else {
            throw ValidationError("--broadcast-interval must be between 0 and 3600000 milliseconds")
        }
    }

    func run() async throws {
        let files = try MonitoringFiles(directory: monitoringDir)
        let prometheusBinary = try Self.tool(prometheus, names: ["prometheus"], flag: "--prometheus")
        let alertmanagerBinary = try Self.tool(alertmanager, names: ["prometheus-alertmanager", "alertmanager"], flag: "--alertmanager")
        let run = MonitorRun(files: files, nodes: nodes, prometheus: prometheusBinary, alertmanager: alertmanagerBinary,
                             broadcastInterval: .milliseconds(broadcastInterval), session: try MonitorSession())
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: run, successTerminationBehavior: .gracefullyShutdownGroup)],
            gracefulShutdownSignals: [.sigterm, .sigint], logger: Logger(label: "gossip.monitor")))
        try await group.run()
        if run.failed { throw ExitCode(1) }
    }

    /// The tool given by its flag, else the first of `names` on PATH or in Debian's folders.
    static func tool(_ given: String?, names: [String], flag: String) throws -> String {
        if let given {
            guard FileManager.default.isExecutableFile(atPath: given) else { throw ValidationError("\(flag) \(given) is not an executable file") }
            return given
        }
        let path = (environmentValue("PATH") ?? "").split(separator: ":").map(String.init) + ["/usr/bin", "/usr/sbin", "/usr/local/bin"]
        for name in names {
            for directory in path where FileManager.default.isExecutableFile(atPath: directory + "/" + name) {
                return directory + "/" + name
            }
        }
        throw ValidationError("\(names[0]) not found on PATH or in /usr/bin: run `make deps` (Debian's prometheus and prometheus-alertmanager) or pass \(flag)")
    }
}

/// The repository's monitoring files the monitor runs, checked to exist before anything starts.
struct MonitoringFiles: Sendable {
    let prometheusConfig: URL
    let alertRules: URL
    let alertmanagerConfig: URL

    init(directory: String) throws {
        let base = URL(fileURLWithPath: directory, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath)).standardizedFileURL
        prometheusConfig = base.appendingPathComponent("prometheus/prometheus.yml")
        alertRules = base.appendingPathComponent("prometheus/alerts.yml")
        alertmanagerConfig = base.appendingPathComponent("alertmanager/alertmanager.yml")
        for file in [prometheusConfig, alertRules, alertmanagerConfig] where !FileManager.default.fileExists(atPath: file.path) {
            throw ValidationError("\(file.path) not found: run from the repository's root or pass --monitoring-dir")
        }
    }
}
