import Foundation
import GossipNode
import GossipTestSupport
import ProtocolSupport
import Testing

/// Real `gossip-node agent` processes on loopback, driven through the CLI as an operator would.
@Suite(.serialized) struct AgentProcessTests {
    struct Agent {
        let name: String
        let bind: String
        let admin: String
        let process: ManagedProcess

        /// Delivered messages the agent printed with --print-messages.
        func printedMessages() -> [[String: Any]] {
            process.log().split(separator: "\n").compactMap { line in
                guard line.hasPrefix("{") else { return nil }
                return (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
            }
        }
    }

    /// Starts agents on port 0 (membership and admin) and reads back the ports each one bound.
    static func startAgents(_ count: Int, workspace: TestWorkspace, prefix: String, extra: [String] = []) async throws -> [Agent] {
        let binary = try GossipNodeBinary.path()
        var agents: [Agent] = []
        for index in 1...count {
            let name = "\(prefix)-\(index)"
            // The LAN profile: its timeouts tolerate a loaded CI machine without false suspicions.
            var arguments = ["agent", "--name", name, "--bind", "127.0.0.1:0", "--admin", "127.0.0.1:0",
                             "--profile", "lan", "--print-messages"] + extra
            if let first = agents.first { arguments += ["--join", first.bind] }
            let process = try ManagedProcess(name: name, executable: binary, arguments: arguments, logDirectory: workspace.url)
            let ports: (membership: UInt16, other: UInt16?)
            do {
                ports = try await process.boundPorts(tcpListeners: 1)
            } catch {
                print(workspace.report(agents.map(\.process) + [process]))
                for agent in agents { await agent.process.stop() }
                await process.stop()
                throw error
            }
            agents.append(Agent(name: name, bind: "127.0.0.1:\(ports.membership)", admin: "127.0.0.1:\(ports.other ?? 0)",
                                process: process))
        }
        return agents
    }

    static func cli(_ arguments: [String]) async throws -> (status: Int32, output: String) {
        try await runTool(try GossipNodeBinary.path(), arguments, timeout: .seconds(20))
    }

    static func members(via admin: String) async -> [AdminAPI.Member] {
        guard let reply = try? await cli(["members", "--admin", admin, "--json"]), reply.status == 0 else { return [] }
        return (try? AdminJSON.members(Array(reply.output.utf8))) ?? []
    }

    @Test func fiveAgentsBroadcastFailAndLeaveAsOperatorsSeeIt() async throws {
        let workspace = try TestWorkspace("five-agents")
        let agents = try await Self.startAgents(5, workspace: workspace, prefix: "agent")
        var passed = false
        defer {
            if passed { workspace.discard() } else { print(workspace.report(agents.map(\.process))) }
        }

        // members: five alive, as every agent sees it.
        let converged = await eventually(timeout: .seconds(30), every: .milliseconds(250)) {
            for agent in agents where await Self.members(via: agent.admin).filter({ $0.state == "alive" }).count != 5 {
                return false
            }
            return true
        }
        #expect(converged, "every agent should list five alive members")

        // A broadcast from the CLI appears on every other agent's stdout exactly once.
        let payload = "hello from the cli \(UUID().uuidString.prefix(8))"
        let sent = try await Self.cli(["broadcast", "--admin", agents[2].admin, payload])
        #expect(sent.status == 0, "broadcast said: \(sent.output)")
        let id = sent.output.trimmingCharacters(in: .whitespacesAndNewlines)
        let delivered = await eventually(timeout: .seconds(15)) {
            agents.enumerated().allSatisfy { index, agent in
                index == 2 || agent.printedMessages().contains { $0["id"] as? String == id }
            }
        }
        #expect(delivered, "the broadcast should reach the four other agents")
        try await Task.sleep(for: .milliseconds(500))
        for (index, agent) in agents.enumerated() where index != 2 {
            let copies = agent.printedMessages().filter { $0["id"] as? String == id }
            #expect(copies.count == 1, "\(agent.name) printed the message \(copies.count) times")
            #expect(copies.first?["payload"] as? String == payload)
            #expect(copies.first?["origin"] as? String == agents[2].name)
        }

        // One killed with SIGKILL is reported failed by the others.
        agents[4].process.signal(SIGKILL)
        let failed = await eventually(timeout: .seconds(40), every: .milliseconds(250)) {
            await Self.members(via: agents[0].admin).first { $0.name == agents[4].name }?.state == "dead"
        }
        #expect(failed, "the killed agent should be reported failed (dead)")

        // One stopped with SIGTERM leaves: reported left, and exits 0 within a few seconds.
        agents[3].process.signal(SIGTERM)
        let exit = await agents[3].process.waitForExit(timeout: .seconds(10))
        #expect(exit == 0, "an agent stopped with SIGTERM should leave and exit 0, exited \(exit.map(String.init) ?? "not at all")")
        let left = await eventually(timeout: .seconds(15), every: .milliseconds(250)) {
            await Self.members(via: agents[0].admin).first { $0.name == agents[3].name }?.state == "left"
        }
        #expect(left, "the agent stopped with SIGTERM should be reported left")

        // `gossip-node leave` through the admin API: the agent leaves and exits 0.
        let leave = try await Self.cli(["leave", "--admin", agents[1].admin])
        #expect(leave.status == 0, "leave said: \(leave.output)")
        #expect(await agents[1].process.waitForExit(timeout: .seconds(10)) == 0)

        for agent in agents { await agent.process.stop() }
        passed = converged && delivered && failed && exit == 0 && left
    }

    @Test func badFlagsAndConfigValuesExitNonZeroNamingThem() async throws {
        // Each of these is refused before anything is bound, so port 0 stands for any port.
        let port = 0
        let badBind = try await Self.cli(["agent", "--name", "x", "--bind", "127.0.0.1"])
        #expect(badBind.status != 0)
        #expect(badBind.output.contains("bind") && badBind.output.contains("127.0.0.1"), "got: \(badBind.output)")

        let badProfile = try await Self.cli(["agent", "--name", "x", "--bind", "127.0.0.1:\(port)", "--profile", "moon"])
        #expect(badProfile.status != 0)
        #expect(badProfile.output.contains("profile") && badProfile.output.contains("moon"), "got: \(badProfile.output)")

        let badKey = try await Self.cli(["agent", "--name", "x", "--bind", "127.0.0.1:\(port)", "--encrypt", "c2hvcnQ="])
        #expect(badKey.status != 0)
        #expect(badKey.output.contains("encrypt"), "got: \(badKey.output)")

        let workspace = try TestWorkspace("bad-config")
        defer { workspace.discard() }
        let file = workspace.url.appendingPathComponent("node.yaml")
        try "name: x\nbind: 127.0.0.1:\(port)\nplumtree:\n  eager_fanout: lots\n".write(to: file, atomically: true, encoding: .utf8)
        let badFile = try await Self.cli(["agent", "--config", file.path])
        #expect(badFile.status != 0)
        #expect(badFile.output.contains("plumtree.eager_fanout") && badFile.output.contains("lots"), "got: \(badFile.output)")

        try "name: x\nbind: 127.0.0.1:\(port)\nplumtree:\n  eager_fanuot: 3\n".write(to: file, atomically: true, encoding: .utf8)
        let unknownKey = try await Self.cli(["agent", "--config", file.path])
        #expect(unknownKey.status != 0)
        #expect(unknownKey.output.contains("plumtree.eager_fanuot"), "got: \(unknownKey.output)")
    }

    @Test func everyCommandExitsByOneSchemeAndSaysWhatToDo() async throws {
        let version = try await Self.cli(["--version"])
        #expect(version.status == 0 && version.output.hasPrefix("gossip-node "), "got: \(version.output)")

        // Usage: 64, naming what was wrong.
        let badFlag = try await Self.cli(["agent", "--name", "x", "--bind", "127.0.0.1:0", "--profile", "moon"])
        #expect(badFlag.status == 64, "got \(badFlag.status): \(badFlag.output)")
        let unresolvable = try await Self.cli(["health", "--admin", "no-such-host.invalid:19101"])
        #expect(unresolvable.status == 64 && unresolvable.output.contains("cannot resolve 'no-such-host.invalid'"),
                "got \(unresolvable.status): \(unresolvable.output)")
        let workspace = try TestWorkspace("exit-status")
        // A seed's name is not resolved when the flag is read but at every join: one that does not resolve
        // (yet: a record not published) is a seed that did not answer. The agent runs on, retrying it, and
        // says why in the same words as for --admin.
        let unresolvableSeed = try ManagedProcess(
            name: "unresolvable-seed", executable: try GossipNodeBinary.path(),
            arguments: ["agent", "--name", "x", "--bind", "127.0.0.1:0", "--join", "no-such-host.invalid:7946"],
            logDirectory: workspace.url)
        let namedTheSeed = await eventually(timeout: .seconds(10)) {
            unresolvableSeed.log().contains("no-such-host.invalid:7946: cannot resolve 'no-such-host.invalid'")
        }
        #expect(namedTheSeed && unresolvableSeed.isRunning,
                "the agent should run on and name the seed; exit \(String(describing: unresolvableSeed.exitCode)): \(unresolvableSeed.log())")
        await unresolvableSeed.stop()

        let agents = try await Self.startAgents(1, workspace: workspace, prefix: "exits")
        var passed = false
        defer { if passed { workspace.discard() } else { print(workspace.report(agents.map(\.process) + [unresolvableSeed])) } }
        #expect(await eventually(timeout: .seconds(10)) { !(await Self.members(via: agents[0].admin)).isEmpty })

        // A host name where an address goes, resolved: localhost's port, written as a name.
        let port = agents[0].admin.split(separator: ":").last.map(String.init) ?? ""
        let byName = try await Self.cli(["health", "--admin", "localhost:\(port)"])
        #expect(byName.output.contains("status:"), "got \(byName.status): \(byName.output)")

        // health prints its status and reasons; a lone agent has no peer, so it is not healthy: 1.
        let health = try await Self.cli(["health", "--admin", agents[0].admin])
        #expect(health.status == 1 && health.output.contains("status: ") && health.output.contains("  - "),
                "health should print its status and reasons and exit 1; got \(health.status): \(health.output)")

        // The agent's gossip port is not its admin API: 69, and the hint says which flag to check.
        let wrongPort = try await Self.cli(["members", "--admin", agents[0].bind])
        #expect(wrongPort.status == 69 && wrongPort.output.contains("--bind"), "got \(wrongPort.status): \(wrongPort.output)")

        // Nothing to broadcast is refused, and nothing is sent.
        let empty = try await Self.cli(["broadcast", "--admin", agents[0].admin, ""])
        #expect(empty.status == 64 && empty.output.contains("nothing to broadcast"), "got \(empty.status): \(empty.output)")

        await agents[0].process.stop()
        // Nobody there any more: 69.
        let gone = try await Self.cli(["health", "--admin", agents[0].admin])
        #expect(gone.status == 69, "got \(gone.status): \(gone.output)")
        passed = version.status == 0 && health.status == 1 && wrongPort.status == 69 && gone.status == 69 && namedTheSeed
    }

    @Test func aSecondAgentWithAMembersNameIsRefusedAndTheMemberKeepsItsState() async throws {
        let workspace = try TestWorkspace("name-in-use")
        let agents = try await Self.startAgents(1, workspace: workspace, prefix: "twin")
        var passed = false
        defer { if passed { workspace.discard() } else { print(workspace.report(agents.map(\.process))) } }
        #expect(await eventually(timeout: .seconds(10)) { !(await Self.members(via: agents[0].admin)).isEmpty })

        let twin = try await Self.cli(["agent", "--name", agents[0].name, "--bind", "127.0.0.1:0", "--join", agents[0].bind])
        #expect(twin.status == 1, "got \(twin.status): \(twin.output)")
        #expect(twin.output.contains("'\(agents[0].name)' is taken") && twin.output.contains(agents[0].bind) && twin.output.contains("--name"),
                "got: \(twin.output)")
        // The real member is still the one alive under its name, and was never seen left.
        try await Task.sleep(for: .seconds(2))
        let members = await Self.members(via: agents[0].admin)
        #expect(members.map(\.name) == [agents[0].name] && members.first?.state == "alive" && members.first?.address == agents[0].bind,
                "got \(members)")
        passed = twin.status == 1 && members.first?.state == "alive"
    }

    @Test func aPortInUseIsNamed() async throws {
        let workspace = try TestWorkspace("port-in-use")
        let agents = try await Self.startAgents(1, workspace: workspace, prefix: "holder")
        var passed = false
        defer { if passed { workspace.discard() } else { print(workspace.report(agents.map(\.process))) } }
        #expect(await eventually(timeout: .seconds(10)) { !(await Self.members(via: agents[0].admin)).isEmpty })
        let clash = try await Self.cli(["agent", "--name", "clash", "--bind", agents[0].bind])
        #expect(clash.status == 1)
        #expect(clash.output.contains(agents[0].bind) && clash.output.contains("in use") && clash.output.contains("--bind"),
                "got: \(clash.output)")
        let adminClash = try await Self.cli(["agent", "--name", "clash", "--bind", "127.0.0.1:0", "--admin", agents[0].admin])
        #expect(adminClash.status == 1)
        #expect(adminClash.output.contains(agents[0].admin) && adminClash.output.contains("--admin") && !adminClash.output.contains("--bind"),
                "got: \(adminClash.output)")
        await agents[0].process.stop()
        passed = clash.status != 0
    }
}
