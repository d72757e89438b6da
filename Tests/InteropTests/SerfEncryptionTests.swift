import Foundation
import GossipNode
import GossipTestSupport
import ProtocolSupport
import Testing

/// The same exchanges with memberlist's AES-GCM keyring: a key from `serf keygen` on every agent and on our
/// node; a node with another key is refused on both sides, and the refusal is counted.
@Suite(.serialized) struct SerfEncryptionTests {
    static func serfKey() async throws -> String {
        guard let serf = toolPath("serf") else { throw SerfAgent.Missing() }
        let (status, output) = try await runTool(serf, ["keygen"])
        #expect(status == 0)
        return output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func decryptionFailures(_ node: GossipNode) -> Double {
        node.metrics?.snapshot().value("memberlist_packets_dropped_total", ["reason": "decryption_failed"]) ?? 0
    }

    @Test func encryptedClusterWithSerfJoinsLeavesAndRefusesAWrongKey() async throws {
        let key = try await Self.serfKey()
        let otherKey = try await Self.serfKey()
        let keyBytes = try #require(Base64.decode(key))
        let otherKeyBytes = try #require(Base64.decode(otherKey))
        #expect(keyBytes.count == 32)

        let workspace = try TestWorkspace("serf-encrypt")
        let a = try await SerfAgent(name: "enc-a", workspace: workspace, encryptKey: key)
        let b = try await SerfAgent(name: "enc-b", workspace: workspace, encryptKey: key)
        let stranger = try await SerfAgent(name: "enc-stranger", workspace: workspace, encryptKey: otherKey)
        var passed = false
        defer { if passed { workspace.discard() } else { print(workspace.report([a.process, b.process, stranger.process])) } }
        for agent in [a, b, stranger] { #expect(await agent.waitUntilReady()) }

        // 1. Our node joins an encrypted serf agent; both sides list each other alive with tags.
        let node = try await SerfInteropTests.makeNode("enc-ours", keys: [keyBytes])
        #expect(try await node.join([SocketAddress(parsing: a.bindAddress)]) == 1)
        // 2. A serf agent joins through our node.
        let address = try await node.boundAddress
        let joinB = try await b.join(address.description)
        #expect(joinB.status == 0, "encrypted serf join through our node said: \(joinB.output)")
        let converged = await eventually(timeout: .seconds(15)) {
            let serfView = await a.member(named: "enc-ours")
            let ourView = (try? await node.members()) ?? []
            return serfView?.status == "alive" && serfView?.tags["role"] == "ours"
                && ourView.filter { $0.state == .alive }.count == 3
        }
        #expect(converged, "the encrypted cluster of two serf agents and our node should converge")

        // A serf agent with another key cannot join through us; we count what we could not decrypt.
        let before = Self.decryptionFailures(node)
        let refused = try await stranger.join(address.description)
        #expect(refused.status != 0, "a serf agent with the wrong key must not join: \(refused.output)")
        #expect(await eventually(timeout: .seconds(5)) { Self.decryptionFailures(node) > before })
        #expect(try await node.members().contains { $0.name == "enc-stranger" } == false)

        // Our node with the wrong key cannot join serf; serf refuses it and we count the reply we cannot read.
        let intruder = try await SerfInteropTests.makeNode("enc-intruder", keys: [otherKeyBytes])
        await #expect(throws: GossipNodeError.self) { try await intruder.join([SocketAddress(parsing: a.bindAddress)]) }
        #expect(await a.member(named: "enc-intruder") == nil)
        let serfRefusal = await eventually(timeout: .seconds(5)) {
            let log = a.process.log()
            return log.contains("decrypt") || log.contains("No installed keys")
        }
        #expect(serfRefusal, "serf should log that it could not decrypt the intruder's stream")
        await intruder.shutdown()

        // 3. A killed serf agent is declared dead over the encrypted cluster.
        b.process.signal(SIGKILL)
        let dead = await eventually(timeout: .seconds(45), every: .milliseconds(100)) {
            await SerfInteropTests.memberState(node, "enc-b") == .dead
        }
        #expect(dead, "our node should declare the killed encrypted agent dead")

        // 4. Our graceful leave is seen as left.
        try await node.leave()
        let left = await eventually(timeout: .seconds(15)) { await a.member(named: "enc-ours")?.status == "left" }
        #expect(left)
        await node.shutdown()
        for agent in [a, stranger] { await agent.process.stop() }
        passed = converged && dead && left && serfRefusal
    }
}
