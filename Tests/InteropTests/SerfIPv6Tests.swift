import GossipNode
import GossipTestSupport
import ProtocolSupport
import Testing

/// Our node and a real serf 0.8.2 agent, both bound to IPv6 loopback: memberlist's alive and push/pull
/// messages carry 16-byte addresses each way, and each side reaches the other at the address it learned.
@Suite(.serialized) struct SerfIPv6Tests {
    static func makeNode(_ name: String) async throws -> GossipNode {
        var configuration = GossipNodeConfiguration(name: name, bind: try SocketAddress(parsing: "[::1]:0"), profile: .local)
        configuration.logLevel = .warning
        configuration.leaveTimeout = .seconds(3)
        let node = try await GossipNode(configuration: configuration)
        try await node.start()
        return node
    }

    @Test func ourNodeJoinsASerfAgentOnIPv6AndEachSeesTheOtherAlive() async throws {
        let workspace = try TestWorkspace("serf-ipv6-join")
        let agent = try await SerfAgent(name: "serf-v6", workspace: workspace, bindHost: "::1")
        var passed = false
        defer { if passed { workspace.discard() } else { print(workspace.report([agent.process])) } }
        #expect(await agent.waitUntilReady())
        #expect(agent.bindAddress.hasPrefix("[::1]:"))

        let node = try await Self.makeNode("ours-v6")
        let ours = try await node.boundAddress
        #expect(try await node.join([try Seed(parsing: agent.bindAddress)]) == 1)

        let serfSeesUs = await eventually(timeout: .seconds(15)) {
            let member = await agent.member(named: "ours-v6")
            // serf prints a member's address with its port, IPv6 in brackets.
            return member?.status == "alive" && member?.addr == ours.description && member?.port == Int(ours.port)
        }
        let serfView = (try? await agent.members()) ?? []
        #expect(serfSeesUs, "serf members should list ours-v6 alive at ::1 port \(ours.port): \(serfView)")
        let weSeeSerf = await eventually(timeout: .seconds(15)) {
            let member = try? await node.members().first { $0.name == "serf-v6" }
            return member?.state == .alive && member?.address.description == agent.bindAddress
        }
        let ourView = (try? await node.members()) ?? []
        #expect(weSeeSerf, "our node should list serf-v6 alive at \(agent.bindAddress): \(ourView)")

        await node.shutdown()
        await agent.process.stop()
        passed = serfSeesUs && weSeeSerf
    }

    @Test func aSerfAgentOnIPv6JoinsThroughOurNode() async throws {
        let workspace = try TestWorkspace("serf-ipv6-joins-us")
        let node = try await Self.makeNode("ours-v6-seed")
        let agent = try await SerfAgent(name: "serf-v6-joiner", workspace: workspace, bindHost: "::1")
        var passed = false
        defer { if passed { workspace.discard() } else { print(workspace.report([agent.process])) } }
        #expect(await agent.waitUntilReady())
        let address = try await node.boundAddress
        let join = try await agent.join(address.description)
        #expect(join.status == 0, "serf join [::1] through our node said: \(join.output)")
        let both = await eventually(timeout: .seconds(15)) {
            let serfView = await agent.member(named: "ours-v6-seed")?.status == "alive"
            let ourView = (try? await node.members().first { $0.name == "serf-v6-joiner" })??.state == .alive
            return serfView && ourView
        }
        let views = "serf: \((try? await agent.members()) ?? []); ours: \((try? await node.members()) ?? [])"
        #expect(both, "\(views)")
        await node.shutdown()
        await agent.process.stop()
        passed = both
    }
}
