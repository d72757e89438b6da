import Foundation
import GossipNode
import GossipTestSupport
import ProtocolSupport
import Testing

/// `gossip-node keys` against real agents: a whole rotation, step by step, each step reported per member as
/// `serf keys` reports it, and the cluster still delivering once the old key is gone.
@Suite(.serialized) struct KeysCommandTests {
    static func key() -> String {
        var generator = SystemRandomNumberGenerator()
        return Base64.encode((0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
    }

    @Test func aRotationThroughTheCLIReachesEveryAgent() async throws {
        let (old, new) = (Self.key(), Self.key())
        let workspace = try TestWorkspace("keys-cli")
        let agents = try await AgentProcessTests.startAgents(3, workspace: workspace, prefix: "keys", extra: ["--encrypt", old])
        var passed = false
        defer { if passed { workspace.discard() } else { print(workspace.report(agents.map(\.process))) } }
        let converged = await eventually(timeout: .seconds(30), every: .milliseconds(250)) {
            await AgentProcessTests.members(via: agents[2].admin).filter { $0.state == "alive" }.count == 3
        }
        #expect(converged, "three encrypted agents should converge")

        for (step, key) in [("--install", new), ("--use", new), ("--remove", old)] {
            let reply = try await AgentProcessTests.cli(["keys", "--admin", agents[0].admin, step, key])
            #expect(reply.status == 0, "keys \(step) said: \(reply.output)")
            #expect(reply.output.contains("3 of 3 members answered, 0 failed"), "keys \(step) said: \(reply.output)")
        }
        let list = try await AgentProcessTests.cli(["keys", "--admin", agents[1].admin, "--list", "--json"])
        let reply = try AdminJSON.keyring(Array(list.output.utf8))
        #expect(reply.succeeded && reply.keys == [new: 3] && reply.primaryKeys == [new: 3], "keys --list said: \(list.output)")

        // A key no member holds cannot be used: exit 1, every member named with its reason.
        let refused = try await AgentProcessTests.cli(["keys", "--admin", agents[1].admin, "--use", old])
        #expect(refused.status == 1)
        for agent in agents { #expect(refused.output.contains("\(agent.name): the key to use is not installed"), "\(refused.output)") }
        // Not a key at all: a usage error before anything is sent.
        #expect(try await AgentProcessTests.cli(["keys", "--admin", agents[1].admin, "--install", "c2hvcnQ="]).status == 64)

        // The cluster, now on the new key alone, still delivers, and each agent logged its changes.
        let payload = "after the rotation \(UUID().uuidString.prefix(8))"
        let sent = try await AgentProcessTests.cli(["broadcast", "--admin", agents[2].admin, payload])
        #expect(sent.status == 0, "broadcast said: \(sent.output)")
        let delivered = await eventually(timeout: .seconds(15), every: .milliseconds(250)) {
            agents[0...1].allSatisfy { agent in agent.printedMessages().contains { ($0["payload"] as? String) == payload } }
        }
        #expect(delivered, "the broadcast should reach both other agents over the new key")
        let logged = agents.allSatisfy { $0.process.log().contains("keyring changed") }
        #expect(logged, "every agent should log its keyring changes")

        for agent in agents { await agent.process.stop() }
        passed = converged && delivered && logged && refused.status == 1
    }
}
