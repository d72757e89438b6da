import Foundation
import GossipNode
import ProtocolSupport
import Testing

/// Real nodes on loopback driven into each health state the health model knows, seen the way an operator
/// and a Kubernetes probe see them: `GET /health` on the admin HTTP server, its status code and reasons.
@Suite struct LiveHealthTests {
    /// The answer of `GET /health`: its HTTP status and reason codes.
    struct HealthAnswer {
        var status: Int
        var reasons: [String]
        var body: [String: Any]
    }

    static func configuration(_ name: String, seeds: [SocketAddress] = []) -> GossipNodeConfiguration {
        var configuration = GossipNodeConfiguration(name: name, bind: SocketAddress(ipv4: 127, 0, 0, 1, port: 0), profile: .local)
        configuration.admin = SocketAddress(ipv4: 127, 0, 0, 1, port: 0)
        configuration.logLevel = .critical
        configuration.seeds = seeds.map(Seed.address)
        configuration.minimumPeers = 1
        // Anti-entropy would recover what these tests make nodes miss, on its own schedule; off.
        configuration.plumtree.antiEntropyInterval = .seconds(3600)
        return configuration
    }

    /// Two nodes whose overlay link is lazy on both ends: a broadcast reaches the other node only as an
    /// IHave, which it must answer with a Graft. (Eager fanout 0 makes every new neighbour lazy; the first
    /// Graft then promotes the link, as Plumtree does.)
    static func lazyPair(
        _ prefix: String, origin: (inout GossipNodeConfiguration) -> Void = { _ in },
        receiver: (inout GossipNodeConfiguration) -> Void = { _ in }
    ) async throws -> (origin: GossipNode, receiver: GossipNode) {
        var first = configuration("\(prefix)-origin")
        first.plumtree.eagerFanout = 0
        origin(&first)
        let a = try await GossipNode(configuration: first)
        try await a.start()
        var second = configuration("\(prefix)-receiver", seeds: [try await a.boundAddress])
        second.plumtree.eagerFanout = 0
        receiver(&second)
        let b = try await GossipNode(configuration: second)
        try await b.start()
        let linked = await waitUntil {
            let left = try await a.plumtreeSnapshot(), right = try await b.plumtreeSnapshot()
            return left.lazyPeers == [b.configuration.name] && right.lazyPeers == [a.configuration.name]
        }
        #expect(linked, "both ends hold the link as lazy")
        return (a, b)
    }

    static func pair(_ prefix: String, configure: (inout GossipNodeConfiguration) -> Void = { _ in }) async throws -> [GossipNode] {
        var first = configuration("\(prefix)-1")
        configure(&first)
        let a = try await GossipNode(configuration: first)
        try await a.start()
        var second = configuration("\(prefix)-2", seeds: [try await a.boundAddress])
        configure(&second)
        let b = try await GossipNode(configuration: second)
        try await b.start()
        let joined = await waitUntil {
            let left = try await a.plumtreeSnapshot().totalPeers, right = try await b.plumtreeSnapshot().totalPeers
            return left == 1 && right == 1
        }
        #expect(joined, "the two nodes are overlay neighbours")
        return [a, b]
    }

    /// Polls `condition` every 50 ms for at most `timeout`.
    static func waitUntil(timeout: Duration = .seconds(15), _ condition: () async throws -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if (try? await condition()) == true { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    static func health(of node: GossipNode) async throws -> HealthAnswer {
        let client = AdminClient(address: try #require(node.adminAddress), timeout: .seconds(5))
        let response = try await client.get("/health")
        let body = try #require(try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
        let reasons = (body["reasons"] as? [[String: Any]] ?? []).compactMap { $0["code"] as? String }
        return HealthAnswer(status: response.status, reasons: reasons, body: body)
    }

    /// Waits until `GET /health` on `node` carries `reason`, and returns that answer.
    static func healthOnceReasoned(_ node: GossipNode, _ reason: String) async throws -> HealthAnswer {
        var last: HealthAnswer?
        _ = await waitUntil {
            last = try await health(of: node)
            return last?.reasons.contains(reason) == true
        }
        return try #require(last)
    }

    @Test func aNodeWhosePeersAreGoneIsUnhealthy() async throws {
        let nodes = try await Self.pair("iso")
        // Healthy with its neighbour (once Lifeguard has settled after the join).
        let healthy = await Self.waitUntil { try await Self.health(of: nodes[0]).status == 200 }
        #expect(healthy)

        try await nodes[1].leave()
        await nodes[1].shutdown()
        let isolated = try await Self.healthOnceReasoned(nodes[0], "no_peers")
        #expect(isolated.status == 500)
        #expect(isolated.body["status"] as? String == "unhealthy")
        #expect((isolated.body["peers"] as? [String: Any])?["total"] as? Int == 0)
        let client = AdminClient(address: try #require(nodes[0].adminAddress), timeout: .seconds(5))
        #expect(try await client.get("/health/ready").status == 503, "an unhealthy node is not ready")
        #expect(try await client.get("/health/live").status == 200, "its loop still turns")
        await nodes[0].shutdown()
    }

    @Test func aNearlyFullCacheDegradesTheNode() async throws {
        // A 10-message cache and the default 0.9 threshold: nine broadcasts fill it to 90 %.
        let nodes = try await Self.pair("cache") { $0.plumtree.messageCacheMaxSize = 10 }
        for index in 0..<8 { _ = try await nodes[0].broadcast(Array("m\(index)".utf8)) }
        let below = try await Self.health(of: nodes[0])
        #expect(!below.reasons.contains("cache_nearly_full"), "80 % is below the threshold")
        _ = try await nodes[0].broadcast(Array("m8".utf8))

        let full = try await Self.healthOnceReasoned(nodes[0], "cache_nearly_full")
        #expect(full.status == 503)
        #expect(full.body["status"] as? String == "degraded")
        #expect((full.body["cache"] as? [String: Any])?["utilisation"] as? Double == 0.9)
        for node in nodes { await node.shutdown() }
    }

    /// Grafts that cannot be answered: the origin's cache holds one message, so of three broadcasts
    /// announced together it can serve the last one only. The receiver grafts all three, gets one, and
    /// gives up on two after its single attempt: a windowed failure ratio of 2/3.
    static func unanswerableGrafts(_ prefix: String, health: @escaping (inout GossipNodeConfiguration) -> Void) async throws
        -> (origin: GossipNode, receiver: GossipNode)
    {
        let (origin, receiver) = try await lazyPair(
            prefix, origin: { $0.plumtree.messageCacheMaxSize = 1 },
            receiver: { configuration in
                // Long enough for the three broadcasts to be announced before the first Graft; no retries.
                configuration.plumtree.graftTimeout = .seconds(1)
                configuration.plumtree.graftMaxRetries = 0
                health(&configuration)
            })
        for index in 0..<3 { _ = try await origin.broadcast(Array("lost-\(index)".utf8)) }
        let settled = await waitUntil {
            let snapshot = try await receiver.plumtreeSnapshot()
            return snapshot.graftFailures == 2 && snapshot.graftSuccesses == 1
        }
        #expect(settled, "two grafts fail, one succeeds")
        return (origin, receiver)
    }

    @Test func graftFailuresDegradeTheNode() async throws {
        // The default degraded ratio (0.1) and unhealthy rule (above 0.5 with at least 10 grafts): three
        // grafts are too few to be unhealthy, and 2/3 is well above 0.1.
        let (origin, receiver) = try await Self.unanswerableGrafts("gfail") { _ in }
        let answer = try await Self.healthOnceReasoned(receiver, "graft_failures_elevated")
        #expect(answer.status == 503)
        #expect(!answer.reasons.contains("graft_failures_critical"), "3 grafts are below the 10 the unhealthy rule needs")
        let grafts = answer.body["grafts"] as? [String: Any]
        #expect(grafts?["failures"] as? Int == 2)
        #expect(grafts?["successes"] as? Int == 1)
        await receiver.shutdown()
        await origin.shutdown()
    }

    @Test func mostGraftsFailingMakeTheNodeUnhealthy() async throws {
        // Ten failing grafts in a minute need a flood; the minimum is configuration, so 3 will do here.
        let (origin, receiver) = try await Self.unanswerableGrafts("gcrit") { $0.health.unhealthyMinimumGrafts = 3 }
        let answer = try await Self.healthOnceReasoned(receiver, "graft_failures_critical")
        #expect(answer.status == 500)
        #expect(answer.body["status"] as? String == "unhealthy")
        await receiver.shutdown()
        await origin.shutdown()
    }

    @Test func pendingGraftsBeyondTheLimitDegradeTheNode() async throws {
        // A backlog of 50 missing messages takes a node that cannot keep up; here the receiver waits 30 s
        // before grafting, and the limit is configured down to 2, so three announced messages are a backlog.
        let (origin, receiver) = try await Self.lazyPair("backlog", receiver: { configuration in
            configuration.plumtree.graftTimeout = .seconds(30)
            configuration.health.maximumPendingGrafts = 2
        })
        for index in 0..<2 { _ = try await origin.broadcast(Array("wait-\(index)".utf8)) }
        let two = await Self.waitUntil { try await receiver.plumtreeSnapshot().pendingGrafts == 2 }
        #expect(two)
        let atLimit = try await Self.health(of: receiver)
        #expect(!atLimit.reasons.contains("graft_backlog"), "2 pending is at the limit, not above")
        _ = try await origin.broadcast(Array("wait-2".utf8))

        let answer = try await Self.healthOnceReasoned(receiver, "graft_backlog")
        // Degraded; the lazy-only link also reports no_eager_peers, itself degraded, never unhealthy.
        #expect(answer.status == 503)
        #expect(!answer.reasons.contains("graft_failures_critical"))
        #expect((answer.body["grafts"] as? [String: Any])?["pending"] as? Int == 3)
        await receiver.shutdown()
        await origin.shutdown()
    }
}
