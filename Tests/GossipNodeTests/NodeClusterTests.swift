import GossipNode
import GossipTestSupport
import Synchronization
import ProtocolSupport
import Testing

/// Real nodes in one process, each on its own event loop and loopback sockets.
@Suite struct NodeClusterTests {
    static func cluster(_ count: Int, prefix: String) async throws -> [GossipNode] {
        var nodes: [GossipNode] = []
        for index in 1...count {
            var configuration = GossipNodeConfiguration(
                name: "\(prefix)-\(index)", bind: SocketAddress(ipv4: 127, 0, 0, 1, port: 0), profile: .local)
            configuration.logLevel = .error
            configuration.seed = UInt64(index)
            if let first = nodes.first { configuration.seeds = [.address(try await first.boundAddress)] }
            let node = try await GossipNode(configuration: configuration)
            try await node.start()
            nodes.append(node)
        }
        return nodes
    }

    static func waitForMembership(_ nodes: [GossipNode], timeout: Duration = .seconds(20)) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            var done = true
            for node in nodes {
                let alive = (try? await node.members())?.filter { $0.state == .alive }.count ?? 0
                if alive != nodes.count { done = false; break }
            }
            if done { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    @Test func broadcastsReachEveryNodeExactlyOnce() async throws {
        let nodes = try await Self.cluster(5, prefix: "bc")
        #expect(await Self.waitForMembership(nodes))
        let received = Receipts()
        var consumers: [Task<Void, Never>] = []
        for node in nodes {
            let name = node.configuration.name
            consumers.append(Task {
                for await message in node.messages { received.record(message.id, at: name) }
            })
        }
        var ids: [String] = []
        for round in 0..<20 {
            let origin = nodes[round % nodes.count]
            ids.append(try await origin.broadcast(Array("m\(round)".utf8)))
        }
        let deadline = ContinuousClock.now + .seconds(15)
        while ContinuousClock.now < deadline {
            let map = received.all
            let complete = ids.allSatisfy { (map[$0]?.count ?? 0) >= nodes.count - 1 }
            if complete { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        try await Task.sleep(for: .milliseconds(300))  // room for a late duplicate to show up
        let final = received.all
        for id in ids {
            let receivers = final[id] ?? []
            #expect(receivers.count == nodes.count - 1, "message \(id) reached \(receivers.count) of \(nodes.count - 1)")
            #expect(Set(receivers).count == receivers.count, "message \(id) was delivered twice somewhere")
        }
        for node in nodes { await node.shutdown() }
        for consumer in consumers { consumer.cancel() }
    }

    @Test func payloadsOverThePacketBudgetTravelOverStreams() async throws {
        let nodes = try await Self.cluster(3, prefix: "big")
        #expect(await Self.waitForMembership(nodes))
        let payload = (0..<20_000).map { UInt8($0 % 251) }
        let id = try await nodes[0].broadcast(payload)
        for node in nodes.dropFirst() {
            var iterator = node.messages.makeAsyncIterator()
            let message = await iterator.next()
            #expect(message?.id == id)
            #expect(message?.payload == payload)
        }
        for node in nodes { await node.shutdown() }
    }

    @Test func oversizedBroadcastsAreRefusedWithTheLimit() async throws {
        var configuration = GossipNodeConfiguration(name: "solo", bind: SocketAddress(ipv4: 127, 0, 0, 1, port: 0))
        configuration.plumtree.maxMessageSize = 1024
        configuration.logLevel = .error
        let node = try await GossipNode(configuration: configuration)
        try await node.start()
        await #expect(throws: GossipNodeError.messageTooLarge(size: 2048, limit: 1024)) {
            try await node.broadcast([UInt8](repeating: 1, count: 2048))
        }
        await node.shutdown()
        await #expect(throws: GossipNodeError.stopped) { try await node.broadcast([1]) }
    }

    @Test func bindingAPortInUseNamesIt() async throws {
        let first = try await GossipNode(configuration: GossipNodeConfiguration(name: "a", bind: SocketAddress(ipv4: 127, 0, 0, 1, port: 0)))
        let taken = try await first.boundAddress
        await #expect(throws: GossipNodeError.addressInUse(taken)) {
            _ = try await GossipNode(configuration: GossipNodeConfiguration(name: "b", bind: taken))
        }
        #expect(GossipNodeError.addressInUse(taken).description.contains(taken.description))
        await first.shutdown()
    }

    @Test func unreachableSeedsAreReported() async throws {
        var configuration = GossipNodeConfiguration(name: "lonely", bind: SocketAddress(ipv4: 127, 0, 0, 1, port: 0), profile: .local)
        configuration.logLevel = .critical
        let node = try await GossipNode(configuration: configuration)
        try await node.start()
        // A port held bound and never listened on: nothing answers there, and nothing else can take it.
        let refusing = try HeldPort()
        let vacant = SocketAddress(ipv4: 127, 0, 0, 1, port: refusing.port)
        do {
            try await node.join([vacant])
            Issue.record("joining a vacant port succeeded")
        } catch {
            guard case .seedsUnreachable(let reasons) = error else { Issue.record("unexpected \(error)"); return }
            #expect(reasons.count == 1 && reasons[0].contains(vacant.description))
        }
        await node.shutdown()
        withExtendedLifetime(refusing) {}
    }

    @Test func tagUpdatesReachOtherMembers() async throws {
        let nodes = try await Self.cluster(3, prefix: "tag")
        #expect(await Self.waitForMembership(nodes))
        try await nodes[0].updateTags(["role": "leader"])
        let deadline = ContinuousClock.now + .seconds(10)
        var seen = false
        while ContinuousClock.now < deadline && !seen {
            let views = [try await nodes[1].members(), try await nodes[2].members()]
            seen = views.allSatisfy { $0.first { $0.name == "tag-1" }?.tags["role"] == "leader" }
            if !seen { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(seen)
        let me = try await nodes[1].members().first { $0.name == "tag-1" }
        #expect(me?.tags["plumtree"] == "1-2", "the plumtree tag survives a tag update")
        for node in nodes { await node.shutdown() }
    }
}

/// Which node received which message id, written by the nodes' consumer tasks.
final class Receipts: Sendable {
    private let map = Mutex([String: [String]]())
    func record(_ id: String, at node: String) { map.withLock { $0[id, default: []].append(node) } }
    var all: [String: [String]] { map.withLock { $0 } }
}
