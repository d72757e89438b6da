import GossipNode
import GossipTestSupport
import ProtocolSupport
import Testing

/// `delivery_mode: discard`: a node whose application reads no stream (the agent without --print-messages)
/// delivers, counts what it delivered, and neither counts the unread messages as lost nor reports a lagging
/// consumer. Before this mode the agent ran with a buffer of one, and a healthy cluster looked degraded.
@Suite struct DiscardModeTests {
    @Test func aNodeWithoutConsumerIsNotLaggingAndLosesNothing() async throws {
        var nodes: [GossipNode] = []
        for name in ["discard-a", "discard-b"] {
            var configuration = GossipNodeConfiguration(name: name, bind: SocketAddress(ipv4: 127, 0, 0, 1, port: 0), profile: .local)
            configuration.logLevel = .critical
            configuration.deliveryMode = .discard
            if let first = nodes.first { configuration.seeds = [.address(try await first.boundAddress)] }
            let node = try await GossipNode(configuration: configuration)
            try await node.start()
            nodes.append(node)
        }
        let receiver = nodes[1]
        var sent = 0
        let delivered = await eventually(timeout: .seconds(15), every: .milliseconds(100)) {
            if (try? await nodes[0].broadcast(Array("m\(sent)".utf8))) != nil { sent += 1 }
            return (receiver.metrics?.snapshot().value("plumtree_messages_delivered_total") ?? 0) >= 20
        }
        #expect(delivered, "waited 15 s for 20 deliveries at the node without a consumer")
        let dropped = receiver.metrics?.snapshot().value("gossip_node_deliveries_dropped_total", ["stream": "messages"])
        #expect(dropped == 0)
        let health = try await receiver.health()
        #expect(!health.reasons.contains { $0.code == .consumerLagging }, "\(health.reasons)")
        // A consumer that attaches anyway finds the stream ended, not waiting forever.
        var iterator = receiver.messages.makeAsyncIterator()
        #expect(await iterator.next() == nil)
        for node in nodes { await node.shutdown() }
    }
}
