import Foundation
import GossipNode
import GossipTestSupport
import ProtocolSupport
import Synchronization
import Testing

/// The node on IPv6 loopback end to end: sockets, memberlist's 16-byte addresses in alive and push/pull
/// messages, Plumtree over them, the admin server, and the settings that take such addresses.
@Suite struct IPv6Tests {
    static let loopback = SocketAddress(ip: SocketAddress.parseHost("::1")!, port: 0)!

    static func configuration(_ name: String) -> GossipNodeConfiguration {
        var configuration = GossipNodeConfiguration(name: name, bind: loopback, profile: .local)
        configuration.logLevel = .critical
        return configuration
    }

    @Test func twoNodesOnIPv6LoopbackJoinAndDeliverABroadcast() async throws {
        let first = try await GossipNode(configuration: Self.configuration("v6-first"))
        try await first.start()
        let firstAddress = try await first.boundAddress
        #expect(firstAddress.isIPv6 && firstAddress.host == "::1" && firstAddress.port != 0, "bound \(firstAddress)")
        #expect(firstAddress.description == "[::1]:\(firstAddress.port)")

        var second = Self.configuration("v6-second")
        second.seeds = [try Seed(parsing: "[::1]:\(firstAddress.port)")]
        let node = try await GossipNode(configuration: second)
        try await node.start()
        let secondAddress = try await node.boundAddress

        // Each learned the other's 16-byte address from memberlist's messages (push/pull one way, alive
        // the other), not from a seed.
        let both = await LiveHealthTests.waitUntil(timeout: .seconds(10)) {
            let seen = try await first.members().first { $0.name == "v6-second" }
            let seenBack = try await node.members().first { $0.name == "v6-first" }
            return seen?.address == secondAddress && seen?.state == .alive
                && seenBack?.address == firstAddress && seenBack?.state == .alive
        }
        let views = "\((try? await first.members()) ?? []) / \((try? await node.members()) ?? [])"
        #expect(both, "the members never saw each other alive at their IPv6 addresses within 10 s: \(views)")

        let delivered = Mutex<[UInt8]?>(nil)
        let consumer = Task {
            for await message in node.messages {
                delivered.withLock { $0 = message.payload }
                return
            }
        }
        // The overlay forms on the next membership report; waiting for a peer keeps this test about the
        // addresses rather than about anti-entropy's repair.
        _ = await LiveHealthTests.waitUntil(timeout: .seconds(10)) { try await first.plumtreeSnapshot().totalPeers > 0 }
        try await first.broadcast(Array("over ::1".utf8))
        let arrived = await LiveHealthTests.waitUntil(timeout: .seconds(10)) { delivered.withLock { $0 != nil } }
        #expect(arrived, "the broadcast over ::1 did not arrive within 10 s")
        #expect(delivered.withLock { $0 }.map { String(decoding: $0, as: UTF8.self) } == "over ::1")
        consumer.cancel()
        await node.shutdown()
        await first.shutdown()
    }

    @Test func adminHealthAnswersOnIPv6Loopback() async throws {
        var configuration = Self.configuration("v6-admin")
        configuration.admin = Self.loopback
        let node = try await GossipNode(configuration: configuration)
        try await node.start()
        let admin = try #require(node.adminAddress)
        #expect(admin.isIPv6 && admin.port != 0, "admin on \(admin)")
        let client = AdminClient(address: admin, timeout: .seconds(5))
        let live = try await client.get("/health/live")
        #expect(live.status == 200, "GET /health/live on \(admin): \(live.status)")
        // A node alone has no overlay peer: /health answers, with that reason, as on IPv4 (500, unhealthy).
        let response = try await client.get("/health")
        let text = String(decoding: response.body, as: UTF8.self)
        let body = try #require(try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any], "not JSON: \(text)")
        #expect(response.status == 500 && body["status"] as? String == "unhealthy" && text.contains("no_peers"),
                "GET /health on \(admin): \(response.status) \(text)")
        await node.shutdown()
    }

    @Test func settingsTakeAndPrintBracketedIPv6() throws {
        let configuration = try GossipNodeConfiguration.load(file: nil, environment: ["GOSSIP_ADMIN": "[::1]:9101"], flags: [
            ("name", .scalar("v6")), ("bind", .scalar("[::1]:7946")), ("join", .list(["[::1]:7947", "[fd00::2]:7946", "seeds.internal:7946"])),
        ])
        #expect(configuration.bind == (try SocketAddress(parsing: "[::1]:7946")))
        #expect(configuration.admin?.description == "[::1]:9101")
        #expect(configuration.seeds.map(\.description) == ["[::1]:7947", "[fd00::2]:7946", "seeds.internal:7946"])
        // Without brackets the port cannot be told from the address: refused, saying how to write it.
        do {
            _ = try GossipNodeConfiguration.load(file: nil, environment: [:], flags: [("name", .scalar("v6")), ("join", .list(["::1:7947"]))])
            Issue.record("::1:7947 was accepted")
        } catch {
            #expect("\(error)".contains("join") && "\(error)".contains("[::1]:7946"), "got: \(error)")
        }
    }
}
