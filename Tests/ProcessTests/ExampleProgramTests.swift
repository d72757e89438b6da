import Foundation
import GossipTestSupport
import Testing

/// The programs in Examples/ run as their README says, as real processes on loopback.
@Suite(.serialized) struct ExampleProgramTests {
    @Test func chatLinesTypedOnOneNodeAppearOnAllOthers() async throws {
        let binary = try GossipNodeBinary.product("gossip-chat")
        let workspace = try TestWorkspace("chat")
        var processes: [ManagedProcess] = []
        var binds: [String] = []
        for name in ["alice", "bob", "carol"] {
            var arguments = ["--name", name, "--bind", "127.0.0.1:0"]
            if let first = binds.first { arguments += ["--join", first] }
            let process = try ManagedProcess(name: name, executable: binary, arguments: arguments,
                                             logDirectory: workspace.url, interactive: true)
            processes.append(process)
            binds.append("127.0.0.1:\(try await process.boundPorts().membership)")
            #expect(await eventually(timeout: .seconds(10)) { process.log().contains("joined on") })
        }
        var passed = false
        defer { if passed { workspace.discard() } else { print(workspace.report(processes)) } }
        #expect(await eventually(timeout: .seconds(10)) { processes.allSatisfy { $0.log().contains("joined on") } })
        // Membership and the overlay need a moment before the first line has every node to reach.
        try await Task.sleep(for: .seconds(2))
        processes[1].send(line: "hello from bob")
        let everyoneSaw = await eventually(timeout: .seconds(15)) {
            processes[0].log().contains("[bob] hello from bob") && processes[2].log().contains("[bob] hello from bob")
        }
        #expect(everyoneSaw, "alice and carol should see bob's line")
        #expect(!processes[1].log().contains("[bob] hello from bob"), "a node does not echo its own line")
        for process in processes { process.closeInput() }
        for process in processes { #expect(await process.waitForExit(timeout: .seconds(15)) == 0) }
        passed = everyoneSaw
    }

    @Test func featureFlagsPropagateUnderServiceLifecycleWithMetrics() async throws {
        let binary = try GossipNodeBinary.product("config-propagation")
        let workspace = try TestWorkspace("flags")
        var processes: [ManagedProcess] = []
        var admins: [String] = []
        var first: String?
        for (index, name) in ["flags-a", "flags-b", "flags-c"].enumerated() {
            var arguments = ["--name", name, "--bind", "127.0.0.1:0", "--admin", "127.0.0.1:0"]
            if let first { arguments += ["--join", first] }
            if index == 2 { arguments += ["--set", "dark_mode=on", "--set", "beta=off"] }
            if index == 2 { try await Task.sleep(for: .seconds(1)) }
            let process = try ManagedProcess(name: name, executable: binary, arguments: arguments, logDirectory: workspace.url)
            processes.append(process)
            let ports = try await process.boundPorts(tcpListeners: 1)
            let bind = "127.0.0.1:\(ports.membership)"
            admins.append("127.0.0.1:\(ports.other ?? 0)")
            #expect(await eventually(timeout: .seconds(10)) { process.log().contains("serving http://") })
            first = first ?? bind
        }
        var passed = false
        defer { if passed { workspace.discard() } else { print(workspace.report(processes)) } }
        let propagated = await eventually(timeout: .seconds(20)) {
            processes[0..<2].allSatisfy { $0.log().contains("dark_mode=on (v1 from flags-c)") && $0.log().contains("beta=off") }
        }
        #expect(propagated, "flags set on flags-c should reach flags-a and flags-b")
        let node = try GossipNodeBinary.path()
        for admin in admins {
            let health = try await runTool(node, ["health", "--admin", admin, "--json"])
            #expect(health.output.contains("\"status\""), "/health on \(admin): \(health.output)")
        }
        let metrics = try await runTool("/usr/bin/curl", ["-s", "http://\(admins[0])/metrics"])
        #expect(metrics.output.contains("plumtree_messages_delivered_total"))
        for process in processes { process.signal(SIGTERM) }
        for process in processes { #expect(await process.waitForExit(timeout: .seconds(15)) == 0) }
        passed = propagated
    }
}
