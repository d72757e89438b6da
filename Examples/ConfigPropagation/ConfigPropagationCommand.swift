import ArgumentParser
import GossipNode
import Logging
import ProtocolSupport
import ServiceLifecycle

/// A service that propagates feature flags through the cluster, runs under ServiceLifecycle (a graceful
/// leave on SIGTERM) and serves /metrics and /health on its admin address.
///
/// ```
/// config-propagation --name a --bind 127.0.0.1:7101 --admin 127.0.0.1:9201
/// config-propagation --name b --bind 127.0.0.1:7102 --admin 127.0.0.1:9202 --join 127.0.0.1:7101 --set dark_mode=on
/// ```
@main
struct ConfigPropagationCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config-propagation", abstract: "Replicate feature flags over gossip, under ServiceLifecycle.")

    @Option(help: "The node's name.") var name: String
    @Option(help: "HOST:PORT to listen on.") var bind: String = "127.0.0.1:0"
    @Option(help: "HOST:PORT of the admin server (/metrics, /health).") var admin: String = "127.0.0.1:0"
    @Option(help: "HOST:PORT of a member to join; repeatable.") var join: [String] = []
    @Option(help: "FLAG=VALUE to set once joined; repeatable.") var set: [String] = []

    func run() async throws {
        var configuration = GossipNodeConfiguration(name: name, bind: try SocketAddress(parsing: bind), profile: .local)
        configuration.admin = try SocketAddress(parsing: admin)
        configuration.seeds = try join.map { try Seed(parsing: $0) }
        configuration.logLevel = .warning
        let node = try await GossipNode(configuration: configuration)
        do {
            try await node.start()
        } catch {
            // The node keeps retrying its seeds; a service starting before its peers is normal.
            guard case .seedsUnreachable = error else { throw error }
            print("\(name): no seed answered yet, retrying in the background", flush: true)
        }
        print("\(name): serving http://\(node.adminAddress?.description ?? "?")/metrics", flush: true)

        let updates = try set.map { item -> (String, String) in
            guard let equals = item.firstIndex(of: "="), equals != item.startIndex else {
                throw ValidationError("--set takes FLAG=VALUE, got '\(item)'")
            }
            return (String(item[..<equals]), String(item[item.index(after: equals)...]))
        }
        let flags = FlagService(node: node, initial: updates)
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: node), .init(service: flags)],
            gracefulShutdownSignals: [.sigterm, .sigint], logger: Logger(label: "config-propagation")))
        try await group.run()
    }
}

/// Applies the flag updates the cluster delivers and announces this node's own.
struct FlagService: Service {
    let node: GossipNode
    let initial: [(String, String)]

    func run() async throws {
        var store = FlagStore()
        let name = node.configuration.name
        // Give membership a moment to find peers before announcing, so the first update has an audience;
        // anti-entropy would carry it later anyway.
        try? await Task.sleep(for: .milliseconds(500))
        for (key, value) in initial {
            let update = store.set(key, value, origin: name)
            _ = try await node.broadcast(update.encoded)
            print("\(name): set \(store.summary)", flush: true)
        }
        for await message in node.messages.cancelOnGracefulShutdown() {
            guard let update = FlagUpdate(decoding: message.payload) else { continue }
            if store.apply(update) { print("\(name): flags \(store.summary)", flush: true) }
        }
    }
}

func print(_ line: String, flush: Bool) {
    // Unbuffered, so a process reading our stdout through a pipe sees each line at once.
    Swift.print(line)
    if flush { fflushStandardOutput() }
}
