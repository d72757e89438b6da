import Foundation
import GossipNode
import GossipTestSupport
import Membership
import ProtocolSupport
import Testing

/// Our node and real Debian `serf` agents on loopback, speaking memberlist's protocol to each other.
/// Each test starts its own agents on ports the OS chose and stops them by their PIDs; logs are kept and
/// printed when a test fails.
@Suite(.serialized) struct SerfInteropTests {
    /// A node of ours on loopback with serf's local timing profile (what the agents below run).
    static func makeNode(_ name: String, keys: [[UInt8]] = [], tags: [String: String] = ["role": "ours"]) async throws -> GossipNode {
        var configuration = GossipNodeConfiguration(name: name, bind: SocketAddress(ipv4: 127, 0, 0, 1, port: 0), profile: .local)
        configuration.tags = tags
        configuration.encryptionKeys = keys
        configuration.logLevel = .warning
        configuration.leaveTimeout = .seconds(3)
        let node = try await GossipNode(configuration: configuration)
        try await node.start()
        return node
    }

    static func memberState(_ node: GossipNode, _ name: String) async -> MemberInfo.State? {
        (try? await node.members())?.first { $0.name == name }?.state
    }

    @Test func ourNodeJoinsASerfClusterAndBothSidesSeeEachOther() async throws {
        let workspace = try TestWorkspace("serf-join")
        let a = try await SerfAgent(name: "serf-a", workspace: workspace, tags: ["dc": "one"])
        let b = try await SerfAgent(name: "serf-b", workspace: workspace)
        var passed = false
        defer { if passed { workspace.discard() } else { print(workspace.report([a.process, b.process])) } }
        #expect(await a.waitUntilReady())
        #expect(await b.waitUntilReady())
        #expect(try await b.join(a.bindAddress).status == 0)

        let node = try await Self.makeNode("ours-1")
        let joined = try await node.join([SocketAddress(parsing: a.bindAddress)])
        #expect(joined == 1)

        let serfSeesUs = await eventually(timeout: .seconds(15)) {
            let member = await b.member(named: "ours-1")
            return member?.status == "alive" && member?.tags["role"] == "ours" && member?.tags["plumtree"] == "1-2"
        }
        #expect(serfSeesUs, "serf members -detailed should list ours-1 alive with its tags")
        let weSeeSerf = await eventually(timeout: .seconds(15)) {
            let a = await Self.memberState(node, "serf-a")
            let b = await Self.memberState(node, "serf-b")
            return a == .alive && b == .alive
        }
        #expect(weSeeSerf)
        let serfA = try await node.members().first { $0.name == "serf-a" }
        #expect(serfA?.tags["dc"] == "one")
        #expect(serfA?.runsPlumtree == false, "a plain serf agent must never be taken for a Plumtree peer")
        let overlay = try await node.plumtreeSnapshot()
        #expect(overlay.totalPeers == 0, "Plumtree must not pick serf agents as neighbours")

        await node.shutdown()
        await a.process.stop()
        await b.process.stop()
        passed = serfSeesUs && weSeeSerf
    }

    @Test func aSerfAgentJoinsThroughOurNode() async throws {
        let workspace = try TestWorkspace("serf-joins-us")
        let node = try await Self.makeNode("ours-2")
        let agent = try await SerfAgent(name: "serf-c", workspace: workspace)
        var passed = false
        defer { if passed { workspace.discard() } else { print(workspace.report([agent.process])) } }
        #expect(await agent.waitUntilReady())
        let address = try await node.boundAddress
        let join = try await agent.join(address.description)
        #expect(join.status == 0, "serf join through our node said: \(join.output)")
        let both = await eventually(timeout: .seconds(15)) {
            let serfView = await agent.member(named: "ours-2")?.status == "alive"
            let ourView = await Self.memberState(node, "serf-c") == .alive
            return serfView && ourView
        }
        #expect(both)
        await node.shutdown()
        await agent.process.stop()
        passed = both
    }

    @Test func aKilledSerfAgentIsSuspectedThenDeclaredDead() async throws {
        let workspace = try TestWorkspace("serf-kill")
        let a = try await SerfAgent(name: "serf-d", workspace: workspace)
        let b = try await SerfAgent(name: "serf-e", workspace: workspace)
        var passed = false
        defer { if passed { workspace.discard() } else { print(workspace.report([a.process, b.process])) } }
        #expect(await a.waitUntilReady())
        #expect(await b.waitUntilReady())
        #expect(try await b.join(a.bindAddress).status == 0)
        let node = try await Self.makeNode("ours-3")
        try await node.join([SocketAddress(parsing: a.bindAddress)])
        #expect(await eventually(timeout: .seconds(15)) { await Self.memberState(node, "serf-e") == .alive })

        let killedAt = ContinuousClock.now
        b.process.signal(SIGKILL)
        var suspectedAfter: Duration?
        var deadAfter: Duration?
        _ = await eventually(timeout: .seconds(45), every: .milliseconds(50)) {
            let state = await Self.memberState(node, "serf-e")
            if state == .suspect, suspectedAfter == nil { suspectedAfter = ContinuousClock.now - killedAt }
            if state == .dead {
                if suspectedAfter == nil { suspectedAfter = ContinuousClock.now - killedAt }
                deadAfter = ContinuousClock.now - killedAt
                return true
            }
            return false
        }
        #expect(suspectedAfter != nil, "our node should suspect the killed agent")
        #expect(deadAfter != nil, "our node should declare the killed agent dead")
        // memberlist's bound: a probe round reaches the member within one probe interval (plus the timeout
        // and the indirect probes), then the suspicion timeout runs: at least SuspicionMult x max(1, log10(n))
        // x ProbeInterval, at most SuspicionMaxTimeoutMult times that without confirmations.
        let config = node.configuration.membership
        let minimum = MembershipMath.suspicionTimeout(suspicionMult: config.suspicionMult, members: 3, probeInterval: config.probeInterval)
        // Round-robin probing reaches any one member within (members - 1) probe intervals.
        let predictedUpper = config.probeInterval * 2 + config.probeTimeout + minimum * config.suspicionMaxTimeoutMult
        print("serf agent killed: suspected after \(suspectedAfter.map { "\($0)" } ?? "never"), dead after \(deadAfter.map { "\($0)" } ?? "never"); memberlist's formula: suspicion \(minimum) to \(minimum * config.suspicionMaxTimeoutMult), detection bound \(predictedUpper)")
        if let deadAfter { #expect(deadAfter <= predictedUpper + .seconds(2)) }
        await node.shutdown()
        await a.process.stop()
        passed = deadAfter != nil
    }

    @Test func serfSeesOurGracefulLeaveAsLeft() async throws {
        let workspace = try TestWorkspace("serf-leave")
        let agent = try await SerfAgent(name: "serf-f", workspace: workspace)
        var passed = false
        defer { if passed { workspace.discard() } else { print(workspace.report([agent.process])) } }
        #expect(await agent.waitUntilReady())
        let node = try await Self.makeNode("ours-4")
        try await node.join([SocketAddress(parsing: agent.bindAddress)])
        #expect(await eventually(timeout: .seconds(15)) { await agent.member(named: "ours-4")?.status == "alive" })
        try await node.leave()
        let left = await eventually(timeout: .seconds(15)) { await agent.member(named: "ours-4")?.status == "left" }
        let seen = await agent.member(named: "ours-4")?.status ?? "nothing"
        #expect(left, "serf should show our node as left, saw \(seen)")
        await node.shutdown()
        await agent.process.stop()
        passed = left
    }

    @Test func serfSeesOurKilledProcessAsFailed() async throws {
        let workspace = try TestWorkspace("serf-failed")
        let agent = try await SerfAgent(name: "serf-g", workspace: workspace)
        let binary = try GossipNodeBinary.path()
        #expect(await agent.waitUntilReady())
        let ours = try ManagedProcess(
            name: "ours-5", executable: binary,
            arguments: ["agent", "--name", "ours-5", "--bind", "127.0.0.1:0", "--join", agent.bindAddress,
                        "--profile", "local"],
            logDirectory: workspace.url)
        var passed = false
        defer { if passed { workspace.discard() } else { print(workspace.report([agent.process, ours])) } }
        #expect(await eventually(timeout: .seconds(20)) { await agent.member(named: "ours-5")?.status == "alive" })
        ours.signal(SIGKILL)
        let failed = await eventually(timeout: .seconds(40)) { await agent.member(named: "ours-5")?.status == "failed" }
        #expect(failed, "serf should show our killed process as failed")
        await agent.process.stop()
        passed = failed
    }
}
