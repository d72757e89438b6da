import Foundation
import GossipNode
import GossipTestSupport
import ProtocolSupport
import Testing

/// The status page in a real browser: Debian's Chromium, headless, loads `/ui` from one node of a 5-node
/// cluster, runs its JavaScript against the node's own routes, and the page it builds lists every member
/// and draws the broadcast tree (every member a circle, the eager links joining all five).
@Suite(.serialized) struct StatusPageTests {
    struct MissingChromium: Error, CustomStringConvertible {
        var description: String { "chromium is not installed: run `make deps`" }
    }

    static func cluster(_ count: Int) async throws -> [GossipNode] {
        var nodes: [GossipNode] = []
        for index in 1...count {
            var configuration = GossipNodeConfiguration(name: "ui-\(index)", bind: SocketAddress(ipv4: 127, 0, 0, 1, port: 0), profile: .local)
            configuration.admin = SocketAddress(ipv4: 127, 0, 0, 1, port: 0)
            configuration.logLevel = .critical
            configuration.deliveryMode = .discard
            if let first = nodes.first { configuration.seeds = [.address(try await first.boundAddress)] }
            let node = try await GossipNode(configuration: configuration)
            try await node.start()
            nodes.append(node)
        }
        return nodes
    }

    /// The DOM Chromium built from the page once its scripts ran (a few seconds of virtual time).
    static func renderedDOM(_ url: String, screenshot: String? = nil) async throws -> String {
        guard let chromium = toolPath("chromium") else { throw MissingChromium() }
        let profile = FileManager.default.temporaryDirectory.appendingPathComponent("ui-chromium-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: profile) }
        var arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
                         "--user-data-dir=\(profile.path)", "--virtual-time-budget=4000", "--window-size=1000,1100"]
        arguments += screenshot.map { ["--screenshot=\($0)"] } ?? ["--dump-dom"]
        let (status, output) = try await runTool(chromium, arguments + [url], timeout: .seconds(60))
        #expect(status == 0, "chromium exited \(status): \(output.suffix(400))")
        return output
    }

    static func count(_ needle: String, in text: String) -> Int { text.components(separatedBy: needle).count - 1 }

    @Test func theStatusPageListsEveryMemberAndDrawsTheTree() async throws {
        let nodes = try await Self.cluster(5)
        defer { Task { for node in nodes { await node.shutdown() } } }
        let converged = await eventually(timeout: .seconds(20)) {
            for node in nodes where (try? await node.members())?.filter({ $0.state == .alive }).count != 5 { return false }
            return true
        }
        #expect(converged, "waited 20 s for five alive members everywhere")
        // Broadcasts shape the tree (duplicates prune the extra eager links); then every member answers.
        for round in 0..<10 { _ = try? await nodes[round % 5].broadcast(Array("shape \(round)".utf8)) }
        let answered = await eventually(timeout: .seconds(10)) {
            let view = try? await nodes[0].broadcastTree()
            return view?.members.count == 5 && view?.unanswered.isEmpty == true
        }
        #expect(answered, "waited 10 s for every member to report its neighbours")
        let admin = try #require(nodes[0].adminAddress)

        let dom = try await Self.renderedDOM("http://\(admin)/ui")
        for index in 1...5 {
            #expect(dom.contains("<td class=\"member-name\">ui-\(index)</td>"), "the members table should list ui-\(index)")
            #expect(dom.contains("data-name=\"ui-\(index)\""), "the tree should draw ui-\(index)")
        }
        #expect(Self.count("<tr class=\"member\">", in: dom) == 5)
        #expect(Self.count("class=\"node", in: dom) == 5, "one circle per member")
        // A tree over five members has at least four eager links; none of them is outside it.
        #expect(Self.count("class=\"eager\"", in: dom) >= 4)
        #expect(!dom.contains("class=\"node outside\""), "every member should hang in the tree")
        #expect(dom.contains("class=\"badge "), "the health badge should be set")

        if let path = ProcessInfo.processInfo.environment["GOSSIP_UI_SCREENSHOT"] {
            _ = try await Self.renderedDOM("http://\(admin)/ui", screenshot: path)
            #expect(FileManager.default.fileExists(atPath: path))
        }
    }
}
