import GossipNode
import GossipObservability
import ProtocolSupport
import Testing

/// A consumer that does not read: what it loses is counted, reported in the stream and shown by health;
/// in the unbounded mode it loses nothing.
@Suite struct SlowConsumerTests {
    static let limit = 5
    static let sent = 20

    /// Two nodes; the receiver's delivery buffer holds `limit` per stream, in `mode`.
    static func pair(_ prefix: String, mode: DeliveryMode) async throws -> (origin: GossipNode, receiver: GossipNode) {
        var first = GossipNodeConfiguration(name: "\(prefix)-origin", bind: SocketAddress(ipv4: 127, 0, 0, 1, port: 0), profile: .local)
        first.logLevel = .critical
        first.minimumPeers = 1
        let origin = try await GossipNode(configuration: first)
        try await origin.start()
        var second = GossipNodeConfiguration(name: "\(prefix)-receiver", bind: SocketAddress(ipv4: 127, 0, 0, 1, port: 0), profile: .local)
        second.logLevel = .critical
        second.minimumPeers = 1
        second.deliveryBufferLimit = limit
        second.deliveryMode = mode
        second.seeds = [.address(try await origin.boundAddress)]
        let receiver = try await GossipNode(configuration: second)
        try await receiver.start()
        return (origin, receiver)
    }

    /// Broadcasts `sent` messages from `origin` once the two are overlay peers, and waits until `receiver`'s
    /// Plumtree core has delivered them all (into the buffer nobody reads).
    static func broadcastAll(from origin: GossipNode, to receiver: GossipNode) async throws {
        let linked = await eventually(timeout: .seconds(15)) {
            let left = try? await receiver.plumtreeSnapshot(), right = try? await origin.plumtreeSnapshot()
            return left?.totalPeers == 1 && right?.totalPeers == 1
        }
        #expect(linked, "the two nodes became overlay peers within 15 s")
        for index in 0..<sent { _ = try await origin.broadcast(Array("m\(index)".utf8)) }
        let delivered = await eventually(timeout: .seconds(15)) {
            (try? await receiver.plumtreeSnapshot())?.delivered == UInt64(sent)
        }
        #expect(delivered, "the receiver delivered all \(sent) messages within 15 s")
    }

    static func dropped(_ node: GossipNode, stream: String) throws -> Double {
        let metrics = try #require(node.metrics)
        let family = try #require(metrics.snapshot().families.first { $0.name == "gossip_node_deliveries_dropped_total" })
        return try #require(family.series.first { $0.label("stream") == stream }).value
    }

    static func lagging(_ node: GossipNode) async throws -> Bool {
        try await node.health().reasons.contains { $0.code == .consumerLagging }
    }

    /// Reads `count` entries of the stream, each within 5 s.
    static func read(_ stream: AsyncStream<Delivery<GossipMessage>>, count: Int) async -> [Delivery<GossipMessage>] {
        await withTaskGroup(of: [Delivery<GossipMessage>].self) { group in
            group.addTask {
                var entries: [Delivery<GossipMessage>] = []
                for await entry in stream {
                    entries.append(entry)
                    if entries.count == count { break }
                }
                return entries
            }
            group.addTask {
                try? await Task.sleep(for: .seconds(5))
                return []
            }
            let first = await group.next() ?? []
            group.cancelAll()
            return first
        }
    }

    @Test("a consumer that falls behind: the oldest are dropped, counted, reported as lagged, and health says consumer_lagging")
    func droppingConsumer() async throws {
        let (origin, receiver) = try await Self.pair("lag", mode: .dropOldest)
        try await Self.broadcastAll(from: origin, to: receiver)

        let missed = Self.sent - Self.limit
        #expect(try Self.dropped(receiver, stream: "messages") == Double(missed))
        #expect(try Self.dropped(receiver, stream: "membership") == 0)
        #expect(try await Self.lagging(receiver), "health names consumer_lagging while the buffer is full")
        #expect(try await receiver.health().status != .healthy)

        // The gap comes first, where it is, then the newest `limit` messages.
        let entries = await Self.read(receiver.deliveries, count: 1 + Self.limit)
        #expect(entries.count == 1 + Self.limit, "read the lag notice and \(Self.limit) messages within 5 s")
        #expect(entries.first == .lagged(missed: missed))
        let payloads = entries.dropFirst().compactMap { entry -> String? in
            if case .delivered(let message) = entry { return String(decoding: message.payload, as: UTF8.self) }
            return nil
        }
        #expect(payloads.count == Self.limit)
        #expect(Set(payloads).isSubset(of: Set((0..<Self.sent).map { "m\($0)" })))

        // Caught up: the reason clears at the next health ticks (the drops are then in the past).
        let cleared = await eventually(timeout: .seconds(5)) { (try? await Self.lagging(receiver)) == false }
        #expect(cleared, "consumer_lagging cleared within 5 s of the consumer catching up")
        await receiver.shutdown()
        await origin.shutdown()
    }

    @Test("the unbounded mode drops nothing: every message arrives, no lag notice, the counter stays 0")
    func unboundedConsumer() async throws {
        let (origin, receiver) = try await Self.pair("nodrop", mode: .unbounded)
        try await Self.broadcastAll(from: origin, to: receiver)

        #expect(try Self.dropped(receiver, stream: "messages") == 0)
        // Past the limit the consumer is still behind, though nothing is lost.
        #expect(try await Self.lagging(receiver), "health names consumer_lagging past the limit in unbounded mode too")

        let entries = await Self.read(receiver.deliveries, count: Self.sent)
        #expect(entries.count == Self.sent, "read all \(Self.sent) messages within 5 s")
        let payloads = Set(entries.compactMap { entry -> String? in
            if case .delivered(let message) = entry { return String(decoding: message.payload, as: UTF8.self) }
            return nil
        })
        #expect(payloads == Set((0..<Self.sent).map { "m\($0)" }), "every message, no lag notice")
        #expect(try Self.dropped(receiver, stream: "messages") == 0)
        await receiver.shutdown()
        await origin.shutdown()
    }
}
