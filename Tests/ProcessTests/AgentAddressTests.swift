import Foundation
import GossipNode
import GossipTestSupport
import ProtocolSupport
import Testing

/// `gossip-node agent` processes joined through a host name and on IPv6 loopback, as an operator writes
/// the flags, and what the CLI prints back.
@Suite(.serialized) struct AgentAddressTests {
    /// Starts an agent with `arguments` after its name, and reads back its membership and admin ports.
    static func agent(_ name: String, _ arguments: [String], workspace: TestWorkspace) async throws
        -> (process: ManagedProcess, membership: UInt16, admin: UInt16)
    {
        let process = try ManagedProcess(name: name, executable: try GossipNodeBinary.path(),
                                         arguments: ["agent", "--name", name, "--profile", "local"] + arguments,
                                         logDirectory: workspace.url)
        do {
            let ports = try await process.boundPorts(tcpListeners: 1)
            return (process, ports.membership, ports.other ?? 0)
        } catch {
            await process.stop()
            throw error
        }
    }

    @Test func agentsOnIPv6LoopbackJoinAndTheCLIPrintsBracketedAddresses() async throws {
        let workspace = try TestWorkspace("agents-ipv6")
        let first = try await Self.agent("v6-agent-1", ["--bind", "[::1]:0", "--admin", "[::1]:0"], workspace: workspace)
        let second = try await Self.agent("v6-agent-2", ["--bind", "[::1]:0", "--admin", "[::1]:0", "--join", "[::1]:\(first.membership)"],
                                          workspace: workspace)
        var passed = false
        defer { if passed { workspace.discard() } else { print(workspace.report([first.process, second.process])) } }
        let listed = await eventually(timeout: .seconds(15)) {
            let members = try? await runTool(try GossipNodeBinary.path(), ["members", "--admin", "[::1]:\(first.admin)"], timeout: .seconds(10))
            return members?.status == 0 && members?.output.contains("[::1]:\(second.membership)") == true
                && members?.output.contains("[::1]:\(first.membership)") == true
        }
        let output = try await runTool(try GossipNodeBinary.path(), ["members", "--admin", "[::1]:\(first.admin)"], timeout: .seconds(10))
        #expect(listed, "members over [::1] should list both agents at [::1]:PORT; got \(output.status): \(output.output)")
        await second.process.stop()
        await first.process.stop()
        passed = listed
    }

    @Test func anAgentJoinsThroughLocalhostWrittenAsAName() async throws {
        let workspace = try TestWorkspace("agents-by-name")
        let first = try await Self.agent("named-seed-1", ["--bind", "127.0.0.1:0", "--admin", "127.0.0.1:0"], workspace: workspace)
        let second = try await Self.agent("named-seed-2", ["--bind", "127.0.0.1:0", "--admin", "127.0.0.1:0",
                                                           "--join", "localhost:\(first.membership)"], workspace: workspace)
        var passed = false
        defer { if passed { workspace.discard() } else { print(workspace.report([first.process, second.process])) } }
        let joined = await eventually(timeout: .seconds(15)) {
            let members = try? await runTool(try GossipNodeBinary.path(), ["members", "--admin", "127.0.0.1:\(first.admin)"], timeout: .seconds(10))
            return members?.output.contains("named-seed-2") == true
        }
        #expect(joined, "named-seed-1 never listed the agent that joined through localhost:\(first.membership)")
        // The seed is shown as it was given, a name, in the settings the agent logged at start.
        #expect(second.process.log().contains("localhost:\(first.membership)"), "\(second.process.log())")
        await second.process.stop()
        await first.process.stop()
        passed = joined
    }
}
