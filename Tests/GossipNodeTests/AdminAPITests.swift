import GossipNode
import Testing

/// The admin API over real HTTP, as the CLI and scripts use it.
@Suite struct AdminAPITests {
    static func node(token: String?) async throws -> GossipNode {
        var configuration = GossipNodeConfiguration(name: "admin-\(token ?? "open")", bind: SocketAddress(ipv4: 127, 0, 0, 1, port: 0))
        configuration.admin = SocketAddress(ipv4: 127, 0, 0, 1, port: 0)
        configuration.adminToken = token
        configuration.logLevel = .error
        let node = try await GossipNode(configuration: configuration)
        try await node.start()
        return node
    }

    @Test func routesAnswerWithTheirDocumentedShapes() async throws {
        let node = try await Self.node(token: nil)
        let client = AdminClient(address: try #require(node.adminAddress), timeout: .seconds(5))
        let members = try await client.get("/v1/members")
        #expect(members.status == 200)
        #expect(try AdminJSON.members(members.body).map(\.name) == ["admin-open"])
        let broadcast = try await client.post("/v1/broadcast", body: Array("hi".utf8))
        #expect(broadcast.status == 200)
        #expect(try AdminJSON.string(broadcast.body, key: "id")?.count == 32)
        let tooLarge = try await client.post("/v1/broadcast", body: [UInt8](repeating: 0, count: 70_000))
        #expect(tooLarge.status == 413, "a payload over max_message_size is refused: \(tooLarge.text)")
        let health = try await client.get("/health")
        #expect([200, 500, 503].contains(health.status))
        #expect(try AdminJSON.string(health.body, key: "status") != nil)
        #expect(try await client.get("/health/live").status == 200)
        #expect(try await client.get("/health/ready").status == 503, "a node alone has not joined anyone")
        let metrics = try await client.get("/metrics")
        #expect(metrics.status == 200 && metrics.text.contains("# HELP plumtree_messages_broadcast_total"))
        #expect(try await client.get("/nowhere").status == 404)
        await node.shutdown()
    }

    @Test func aConfiguredTokenGuardsTheMutatingRoutes() async throws {
        let node = try await Self.node(token: "s3cret")
        let address = try #require(node.adminAddress)
        let anonymous = AdminClient(address: address, timeout: .seconds(5))
        #expect(try await anonymous.post("/v1/broadcast", body: [1]).status == 401)
        #expect(try await anonymous.post("/v1/leave").status == 401)
        #expect(try await anonymous.get("/v1/members").status == 200, "reading needs no token")
        let wrong = AdminClient(address: address, token: "guess", timeout: .seconds(5))
        #expect(try await wrong.post("/v1/broadcast", body: [1]).status == 401)
        let holder = AdminClient(address: address, token: "s3cret", timeout: .seconds(5))
        #expect(try await holder.post("/v1/broadcast", body: [1]).status == 200)
        await node.shutdown()
    }
}
