import Foundation
import GossipNode
import GossipTestSupport
import ProtocolSupport
import Synchronization
import Testing

/// A mixed cluster of a serf agent and two of our nodes rotates its key both ways, through serf's internal
/// key queries: `serf keys` reaches our nodes, and our keyring operation reaches the serf agent. After each
/// rotation the old key is gone everywhere and the cluster still holds together and delivers.
@Suite(.serialized) struct SerfKeyRotationTests {
    /// The payloads a node delivered, read by a task of its own so that waits stay bounded.
    final class Received: Sendable {
        private let payloads = Mutex<[String]>([])
        init(_ node: GossipNode) {
            Task { [self] in for await message in node.messages { payloads.withLock { $0.append(String(decoding: message.payload, as: UTF8.self)) } } }
        }
        func contains(_ text: String) -> Bool { payloads.withLock { $0.contains(text) } }
    }

    static func serfKeyList(_ agent: SerfAgent) async throws -> String {
        let (status, output) = try await agent.command(["keys", "-list"], timeout: .seconds(20))
        #expect(status == 0, "serf keys -list said: \(output)")
        return output
    }

    @Test func serfKeysRotatesOurNodesAndOurKeyringOperationRotatesSerf() async throws {
        let keys = [try await SerfEncryptionTests.serfKey(), try await SerfEncryptionTests.serfKey(),
                    try await SerfEncryptionTests.serfKey()]
        let workspace = try TestWorkspace("serf-keys")
        let agent = try await SerfAgent(name: "rot-serf", workspace: workspace, encryptKey: keys[0])
        var passed = false
        defer { if passed { workspace.discard() } else { print(workspace.report([agent.process])) } }
        #expect(await agent.waitUntilReady())
        let first = try await SerfInteropTests.makeNode("rot-1", keys: [try #require(Base64.decode(keys[0]))])
        let second = try await SerfInteropTests.makeNode("rot-2", keys: [try #require(Base64.decode(keys[0]))])
        let received = Received(second)
        #expect(try await first.join([SocketAddress(parsing: agent.bindAddress)]) == 1)
        #expect(try await second.join([SocketAddress(parsing: agent.bindAddress)]) == 1)

        func converged(_ what: String) async -> Bool {
            let together = await eventually(timeout: .seconds(20)) {
                let serfSees = (try? await agent.members())?.filter { $0.status == "alive" }.count ?? 0
                let oursSee = (try? await first.members())?.filter { $0.state == .alive }.count ?? 0
                return serfSees == 3 && oursSee == 3
            }
            #expect(together, "the cluster of serf and our two nodes should hold together \(what)")
            return together
        }
        func delivers(_ text: String) async throws -> Bool {
            // Repeated until delivered: a broadcast sent before the overlay has formed reaches nobody.
            let delivered = await eventually(timeout: .seconds(15), every: .milliseconds(500)) {
                if !received.contains(text) { _ = try? await first.broadcast(Array(text.utf8)) }
                return received.contains(text)
            }
            #expect(delivered, "a broadcast should be delivered \(text)")
            return delivered
        }
        var ok = await converged("before any rotation")

        // 1. serf's own CLI rotates every member: it exits 0 only when every member answered and none failed.
        for step in [["-install", keys[1]], ["-use", keys[1]], ["-remove", keys[0]]] {
            let (status, output) = try await agent.command(["keys"] + step, timeout: .seconds(20))
            #expect(status == 0, "serf keys \(step[0]) should reach every member, our nodes included: \(output)")
            ok = ok && status == 0
        }
        let afterSerf = try await Self.serfKeyList(agent)
        #expect(afterSerf.contains(keys[1]) && !afterSerf.contains(keys[0]), "serf keys -list: \(afterSerf)")
        let ourView = try await first.changeKeyring(.list)
        #expect(ourView.succeeded, "every member should answer our list: \(ourView)")
        #expect(ourView.keyCounts == [keys[1]: 3], "every member should hold the new key only: \(ourView.keyCounts)")
        ok = await converged("after serf rotated the key") && ok
        ok = try await delivers("after serf's rotation") && ok

        // 2. Our keyring operation rotates every member, the serf agent included.
        for operation in [KeyringOperation.install(try #require(Base64.decode(keys[2]))),
                          .use(try #require(Base64.decode(keys[2]))), .remove(try #require(Base64.decode(keys[1])))] {
            let report = try await second.changeKeyring(operation)
            #expect(report.members == 3 && report.answers.count == 3 && report.succeeded,
                    "\(operation) should be answered by all three members: \(report)")
            ok = ok && report.succeeded
        }
        let afterOurs = try await Self.serfKeyList(agent)
        #expect(afterOurs.contains(keys[2]) && !afterOurs.contains(keys[1]), "serf keys -list: \(afterOurs)")
        ok = await converged("after our node rotated the key") && ok
        ok = try await delivers("after our rotation") && ok

        // Each change is counted on the node it was applied to, whoever asked.
        let applied = first.metrics?.snapshot().value("gossip_node_keyring_changes_total", ["operation": "install", "result": "applied"])
        #expect(applied == 2, "rot-1 installed a key twice: once asked by serf, once by rot-2")
        // A key that is not installed cannot be used: every member says so.
        let refused = try await first.changeKeyring(.use(try #require(Base64.decode(keys[0]))))
        #expect(!refused.succeeded && refused.failures.count == 3, "using a removed key fails everywhere: \(refused)")

        await first.shutdown()
        await second.shutdown()
        await agent.process.stop()
        passed = ok
    }
}
