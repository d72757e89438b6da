import Foundation
import GossipNode
import ProtocolSupport

/// Starting what `gossip-node monitor` runs, each on port 0 with the port read back from the kernel.
struct MonitorLaunch: Sendable {
    let session: MonitorSession

    struct Node: Sendable {
        let name: String
        let process: ChildProcess
        let gossip: SocketAddress
        let admin: SocketAddress
    }

    struct Tool: Sendable {
        let process: ChildProcess
        let address: SocketAddress
        var url: String { "http://\(address)" }
    }

    /// `count` separate `gossip-node agent` processes, so that one can be stopped (kill, leave) and the
    /// others, and Prometheus, see it go; each joins the first.
    func startNodes(_ count: Int, executable: String) async throws -> [Node] {
        var nodes: [Node] = []
        for index in 1...count {
            let name = "node-\(index)"
            // --print-messages: an agent without it sets delivery_buffer_limit 0 and counts every delivery as
            // dropped, which would raise GossipDeliveriesDropped and consumer_lagging on a healthy cluster.
            // With it, the messages are read (into the node's log) and the alerts say only what happens.
            var arguments = ["agent", "--name", name, "--bind", "127.0.0.1:0", "--admin", "127.0.0.1:0",
                             "--profile", "local", "--log-level", "warning", "--tag", "demo=true", "--print-messages"]
            if let first = nodes.first { arguments += ["--join", "\(first.gossip)"] }
            let process = try session.start(name, executable, arguments)
            let ports = try await process.waitForPorts("its gossip port (TCP and UDP) and its admin port") {
                $0.membershipPort != nil && $0.tcpOnly.count == 1
            }
            nodes.append(Node(name: name, process: process,
                              gossip: SocketAddress(ipv4: 127, 0, 0, 1, port: ports.membershipPort!),
                              admin: SocketAddress(ipv4: 127, 0, 0, 1, port: ports.tcpOnly.first!)))
        }
        return nodes
    }

    /// Waits (at most `timeout`) until every node lists every node alive; false when they did not.
    func waitForConvergence(_ nodes: [Node], timeout: Duration = .seconds(30)) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            var converged = true
            for node in nodes {
                let reply = try? await AdminClient(address: node.admin, timeout: .seconds(2)).get("/v1/members")
                let alive = reply.flatMap { try? AdminJSON.members($0.body) }?.filter { $0.state == "alive" }.count ?? 0
                if alive < nodes.count { converged = false; break }
            }
            if converged { return true }
            try await Task.sleep(for: .milliseconds(250))
        }
        return false
    }

    /// Debian's Alertmanager with `configuration` as it is; clustering off (one instance, no gossip port).
    func startAlertmanager(binary: String, configuration: URL) async throws -> Tool {
        let process = try session.start("alertmanager", binary, [
            "--config.file=\(configuration.path)",
            "--storage.path=\(session.directory.appendingPathComponent("alertmanager-data").path)",
            "--web.listen-address=127.0.0.1:0", "--cluster.listen-address=",
        ])
        return try await ready(process)
    }

    /// Prometheus with the generated configuration (PrometheusConfig), its data in the temporary folder.
    func startPrometheus(binary: String, configuration: URL) async throws -> Tool {
        let process = try session.start("prometheus", binary, [
            "--config.file=\(configuration.path)",
            "--storage.tsdb.path=\(session.directory.appendingPathComponent("prometheus-data").path)",
            "--web.listen-address=127.0.0.1:0",
        ])
        return try await ready(process)
    }

    /// The one TCP port the tool bound, then its `/-/ready` answering 200 (at most 30 s).
    private func ready(_ process: ChildProcess) async throws -> Tool {
        let ports = try await process.waitForPorts("one TCP port") { $0.tcp.count == 1 }
        let tool = Tool(process: process, address: SocketAddress(ipv4: 127, 0, 0, 1, port: ports.tcp.first!))
        let deadline = ContinuousClock.now + .seconds(30)
        while !(await MonitorHTTP.isReady(tool.address)) {
            guard process.isRunning, ContinuousClock.now < deadline else {
                throw ChildProcess.Failed(description: "\(process.name) (pid \(process.pid)) on \(tool.address) was not ready within 30 s\n\(process.logTail())")
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        return tool
    }
}
