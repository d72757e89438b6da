import ArgumentParser
import GossipNode
import Logging
import ProtocolSupport
import ServiceLifecycle
import Synchronization

/// `gossip-node demo`: a local cluster on loopback, a round of broadcasts, and where to look next.
///
/// Starts N nodes in this process (each with its own event loop, membership socket and admin server),
/// joins them, broadcasts M messages from the nodes in turn, checks every message reached every other node
/// exactly once, prints the members and each node's /metrics and /health URLs, and keeps the cluster up
/// until Ctrl-C or `--duration`. Exits non-zero if a message was not delivered everywhere.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo", abstract: "Run a local cluster on loopback, broadcast, and show it working.")

    @Option(help: "Nodes to start.") var nodes = 5
    @Option(help: "Messages to broadcast.") var messages = 10
    @Option(help: "Seconds to keep the cluster running after the broadcasts (default: until Ctrl-C).") var duration: Int?
    @Option(help: "First admin port; node i gets this + i - 1 when free (the scrape config expects 9101...).")
    var adminBasePort = 9101

    func validate() throws {
        guard (2...64).contains(nodes) else { throw ValidationError("--nodes must be between 2 and 64") }
        guard (1...10_000).contains(messages) else { throw ValidationError("--messages must be between 1 and 10000") }
        // Bounded so that no value overflows: a sleep of Int.max seconds traps in the clock's arithmetic,
        // and `adminBasePort + index` would trap near Int.max.
        if let duration, !(0...31_536_000).contains(duration) {
            throw ValidationError("--duration must be between 0 and 31536000 seconds (a year)")
        }
        guard (1...65_535).contains(adminBasePort) else { throw ValidationError("--admin-base-port must be between 1 and 65535") }
    }

    func run() async throws {
        var cluster: [GossipNode] = []
        let ledger = DeliveryLedger()
        writeLine("Starting \(nodes) nodes on loopback...")
        for index in 1...nodes {
            var configuration = GossipNodeConfiguration(
                name: "node-\(index)", bind: SocketAddress(ipv4: 127, 0, 0, 1, port: 0), profile: .local)
            configuration.admin = DemoPorts.adminAddress(preferred: adminBasePort + index - 1)
            configuration.logLevel = .warning
            configuration.tags = ["demo": "true"]
            if let first = cluster.first { configuration.seeds = [.address(try await first.boundAddress)] }
            let node = try await GossipNode(configuration: configuration)
            try await node.start()
            cluster.append(node)
            let name = configuration.name
            Task { for await message in node.messages { ledger.record(message, at: name) } }
        }
        let names = cluster.map(\.configuration.name)

        let converged = await waitUntil(seconds: 20) {
            for node in cluster {
                let alive = (try? await node.members())?.filter { $0.state == .alive }.count ?? 0
                if alive < cluster.count { return false }
            }
            return true
        }
        writeLine(converged ? "Membership converged: every node sees \(cluster.count) alive members."
                            : "warning: membership did not converge within 20 s")
        _ = await waitUntil(seconds: 10) {
            for node in cluster where ((try? await node.plumtreeSnapshot())?.eagerPeers.count ?? 0) == 0 { return false }
            return true
        }

        writeLine("\nBroadcasting \(messages) messages...")
        var sent: [(id: String, origin: String)] = []
        for index in 0..<messages {
            let origin = cluster[index % cluster.count]
            let payload = "message \(index + 1) from \(origin.configuration.name)"
            let id = try await origin.broadcast(Array(payload.utf8))
            sent.append((id, origin.configuration.name))
        }
        let expected = cluster.count - 1
        let complete = await waitUntil(seconds: 15) { sent.allSatisfy { ledger.receivers(of: $0.id).count >= expected } }

        writeLine("\nDeliveries (each message must reach the \(expected) other nodes exactly once):")
        var failures = 0
        for (index, message) in sent.enumerated() {
            let receivers = ledger.receivers(of: message.id)
            let duplicates = ledger.duplicates(of: message.id)
            let ok = receivers.count == expected && duplicates == 0
            if !ok { failures += 1 }
            let hops = ledger.maxHops(of: message.id)
            writeLine("  \(ok ? "ok  " : "FAIL") message \(index + 1) from \(message.origin): reached \(receivers.count)/\(expected), max hops \(hops)\(duplicates > 0 ? ", \(duplicates) duplicates" : "")")
        }

        writeLine("\nMembers as \(names[0]) sees them:")
        for member in try await cluster[0].members() {
            writeLine("  \(member.name.padding(8))  \(member.address.description.padding(20))  \(member.state.rawValue)")
        }
        writeLine("\nEach node's endpoints:")
        for node in cluster {
            if let admin = node.adminAddress {
                writeLine("  \(node.configuration.name): http://\(admin)/metrics   http://\(admin)/health")
            }
        }
        if let admin = cluster[0].adminAddress {
            writeLine("\nStatus page, with the broadcast tree drawn: http://\(admin)/ui")
        }
        writeLine("\nTry: gossip-node broadcast --admin \(cluster[0].adminAddress?.description ?? "") \"hello\"")
        writeLine("     gossip-node members --admin \(cluster[0].adminAddress?.description ?? "")")
        // The static scrape config expects 9101...; a node that fell back to an OS-chosen port is not in it.
        writeLine("     make monitor: a cluster like this one with Prometheus and Alertmanager on monitoring/'s files,")
        writeLine("     scraping the ports the nodes really got (docs/MONITORING.md).")

        if failures == 0 && complete {
            writeLine("\nAll \(messages) messages delivered to every node exactly once.")
        } else {
            writeLine("\n\(failures) of \(messages) messages were not delivered everywhere exactly once.")
        }
        writeLine(duration.map { "Running for \($0) s more (Ctrl-C to stop)." } ?? "Running until Ctrl-C.")

        let keeper = DemoKeeper(seconds: duration)
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = cluster.map {
            .init(service: $0, successTerminationBehavior: .ignore)
        }
        services.append(.init(service: keeper, successTerminationBehavior: .gracefullyShutdownGroup))
        let group = ServiceGroup(configuration: .init(
            services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: Logger(label: "gossip.demo")))
        try await group.run()
        writeLine("Cluster stopped.")
        if failures > 0 || !complete { throw ExitCode(1) }
    }

    private func waitUntil(seconds: Int, _ condition: () async -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            if await condition() { return true }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return await condition()
    }
}

/// Keeps the demo cluster up for a while (or until graceful shutdown), then ends the group.
struct DemoKeeper: Service {
    let seconds: Int?
    func run() async throws {
        if let seconds {
            _ = try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(seconds)) }
        } else {
            try? await gracefulShutdown()
        }
    }
}

/// Which node received which message, how often, in how many hops.
final class DeliveryLedger: Sendable {
    private struct Entry { var receivers: [String: Int] = [:]; var maxHops = 0 }
    private let entries = Mutex([String: Entry]())

    func record(_ message: GossipMessage, at node: String) {
        entries.withLock { entries in
            entries[message.id, default: Entry()].receivers[node, default: 0] += 1
            entries[message.id]!.maxHops = max(entries[message.id]!.maxHops, message.hops)
        }
    }

    func receivers(of id: String) -> [String] { entries.withLock { ($0[id]?.receivers.keys).map(Array.init) ?? [] } }
    func duplicates(of id: String) -> Int { entries.withLock { ($0[id]?.receivers.values.reduce(0) { $0 + max(0, $1 - 1) }) ?? 0 } }
    func maxHops(of id: String) -> Int { entries.withLock { $0[id]?.maxHops ?? 0 } }
}

enum DemoPorts {
    /// The preferred admin port when it is free, else one the OS chooses.
    static func adminAddress(preferred port: Int) -> SocketAddress {
        guard (1...65535).contains(port), portIsFree(UInt16(port)) else { return SocketAddress(ipv4: 127, 0, 0, 1, port: 0) }
        return SocketAddress(ipv4: 127, 0, 0, 1, port: UInt16(port))
    }
}
