import Foundation
import GossipTestSupport
import Testing

/// The serf harness itself: two real agents on loopback find each other. If this fails, every interop test
/// that follows would fail for a reason that is not ours.
@Suite struct SerfHarnessTests {
    @Test func twoSerfAgentsJoinOnLoopback() async throws {
        let workspace = try TestWorkspace("serf-harness")
        let a = try await SerfAgent(name: "harness-a", workspace: workspace, tags: ["role": "a"])
        let b = try await SerfAgent(name: "harness-b", workspace: workspace)
        var passed = false
        defer { if passed { workspace.discard() } else { print(workspace.report([a.process, b.process])) } }
        #expect(await a.waitUntilReady())
        #expect(await b.waitUntilReady())
        let joined = try await b.join(a.bindAddress)
        #expect(joined.status == 0, "serf join said: \(joined.output)")
        let converged = try await eventually(timeout: .seconds(10)) {
            let members = try await a.members()
            return members.filter { $0.status == "alive" }.count == 2
        }
        #expect(converged)
        let seenFromB = await b.member(named: "harness-a")
        #expect(seenFromB?.tags["role"] == "a")
        await a.process.stop()
        await b.process.stop()
        #expect(a.process.exitCode != nil && b.process.exitCode != nil)
        passed = converged && seenFromB?.tags["role"] == "a"
    }
}
