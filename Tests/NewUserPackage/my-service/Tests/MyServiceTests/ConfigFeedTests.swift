import GossipNode
import GossipSimulator
import MyService
import Testing

/// What a user of the package writes: a real node on loopback, and the same settings in a simulated
/// partition with the package's alert rules.
@Suite struct ConfigFeedTests {
    @Test func anUpdateCrossesTwoRealNodes() async throws {
        let first = try await ConfigFeed.start(name: "config-1", bind: try SocketAddress(parsing: "127.0.0.1:0"))
        let second = try await ConfigFeed.start(name: "config-2", bind: try SocketAddress(parsing: "127.0.0.1:0"),
                                                seeds: [try await first.node.boundAddress])
        let listener = Task { () -> String? in
            for await message in second.node.messages { return String(decoding: message.payload, as: UTF8.self) }
            return nil
        }
        // The second node may still be joining when the first publishes: publish once a second.
        let publisher = Task {
            for _ in 0..<30 {
                try? await first.publish("config v2")
                try? await Task.sleep(for: .seconds(1))
            }
        }
        // Bounded: a broken node would leave the listener waiting for ever.
        let deadline = Task {
            try? await Task.sleep(for: .seconds(30))
            listener.cancel()
        }
        let heard = await listener.value
        publisher.cancel()
        deadline.cancel()
        #expect(heard == "config v2", "config-2 heard nothing from config-1 within 30 s")
        await second.node.shutdown()
        await first.node.shutdown()
    }

    @Test func theShippedSettingsCarryAnUpdateAcrossAPartition() throws {
        var options = ClusterOptions(nodes: 12, seed: 7)
        options.plumtree = ConfigFeed.plumtreeSettings
        options.membershipConfig.probeInterval = .milliseconds(500)
        let cluster = Cluster(options)
        var versions: [NodeID: String] = [:]
        cluster.onDelivery = { delivery in versions[delivery.node] = String(decoding: delivery.payload, as: UTF8.self) }
        // Long enough for the cluster's scraper to see it whole: the partition alert compares alive members
        // with what it saw before.
        cluster.run(for: .seconds(30))
        cluster.partition([cluster.nodes(0..<6), cluster.nodes(6..<12)])
        let update = try #require(cluster.broadcast(from: NodeID(0), payload: Array("config v3".utf8)))
        cluster.run(for: .seconds(240))
        cluster.heal()
        cluster.run(for: .seconds(120))
        #expect(cluster.deliveredEverywhere(update))
        #expect(cluster.nodes(1..<12).allSatisfy { versions[$0] == "config v3" })
        let alerts = try cluster.firingAlerts()
        #expect(alerts.contains { $0.alert == "MemberlistSuspectedPartition" })
    }
}
