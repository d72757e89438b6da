import GossipNode

/// A service's configuration feed over gossip: one node per process, updates broadcast to every member.
public struct ConfigFeed: Sendable {
    public let node: GossipNode

    /// Starts a node named `name` on `bind`, joining `seeds`, tuned as the service ships it.
    public static func start(name: String, bind: SocketAddress, seeds: [SocketAddress] = []) async throws -> ConfigFeed {
        var configuration = GossipNodeConfiguration(name: name, bind: bind)
        configuration.seeds = seeds.map(Seed.address)
        configuration.plumtree = ConfigFeed.plumtreeSettings
        configuration.membership.probeInterval = .milliseconds(500)
        let node = try await GossipNode(configuration: configuration)
        try await node.start()
        return ConfigFeed(node: node)
    }

    /// The Plumtree settings the service runs with, and simulates with (see MyServiceTests).
    public static var plumtreeSettings: PlumtreeConfig {
        var settings = PlumtreeConfig.lan
        // Updates must survive a partition of several minutes: repair resends from this cache.
        settings.messageCacheTTL = .seconds(600)
        return settings
    }

    public func publish(_ update: String) async throws {
        _ = try await node.broadcast(Array(update.utf8))
    }
}
