import Foundation
import GossipSimulator
import Testing

// docs/SIMULATOR.md's "In tests" example, compiled and run here as a user's test would be: this target
// imports GossipSimulator alone, with MemberImportVisibility on. `theDocumentShowsExactlyThisCode` keeps the
// document's copy and this one the same.

// BEGIN SIMULATOR.md example
@Test func aConfigUpdateSurvivesAPartition() throws {
    var options = ClusterOptions(nodes: 10, seed: 3)
    // Repair resends from the message cache: it must keep messages longer than the partition lasts.
    options.plumtree.messageCacheTTL = .seconds(300)
    let cluster = Cluster(options)

    // The application on every node: it records the updates it receives, and node-9 acknowledges each
    // one with a broadcast of its own.
    var received: [NodeID: [String]] = [:]
    cluster.onDelivery = { [unowned cluster] delivery in
        let text = String(decoding: delivery.payload, as: UTF8.self)
        received[delivery.node, default: []].append(text)
        if delivery.node == NodeID(9), text.hasPrefix("config") {
            cluster.broadcast(from: delivery.node, payload: Array("ack \(text)".utf8))
        }
    }

    cluster.run(for: .seconds(30))
    cluster.partition([cluster.nodes(0..<5), cluster.nodes(5..<10)])
    let update = try #require(cluster.broadcast(from: NodeID(0), payload: Array("config v2".utf8)))
    cluster.run(for: .seconds(20))
    #expect(cluster.view(of: NodeID(0))[NodeID(9)] == .dead)  // each side has declared the other dead
    cluster.run(for: .seconds(220))  // the split lasts four minutes, past the partition alert's 2m `for`
    cluster.heal()
    cluster.run(for: .seconds(240))

    #expect(cluster.deliveredEverywhere(update))
    #expect(received[NodeID(9)] == ["config v2"])
    #expect(received[NodeID(0)] == ["ack config v2"])
    #expect(cluster.view(of: NodeID(0)).values.allSatisfy { $0 == .alive })

    // The package's own alert rules, evaluated by promtool over the run's metrics.
    let alerts = try cluster.firingAlerts()
    let splitAlarm = alerts.filter { $0.alert == "MemberlistSuspectedPartition" && $0.seconds == 240 }
    #expect(Set(splitAlarm.map(\.instance)) == Set(cluster.allNodes.map(\.name)))  // every node, while split
    let afterHeal = alerts.filter { $0.seconds >= 450 }
    #expect(afterHeal.isEmpty, "firing three minutes after the heal: \(afterHeal)")
}
// END SIMULATOR.md example

@Test func theDocumentShowsExactlyThisCode() throws {
    let shown = try DocumentText.fencedBlock(after: "<!-- example: Tests/SimulatorExampleTests -->",
                                             in: try DocumentText.repositoryFile("docs/SIMULATOR.md"))
    let body = try DocumentText.between("// BEGIN SIMULATOR.md example\n", "\n// END SIMULATOR.md example",
                                        in: try DocumentText.repositoryFile("Tests/SimulatorExampleTests/DocumentedExampleTests.swift"))
    #expect(shown == "import GossipSimulator\nimport Testing\n\n" + body, "docs/SIMULATOR.md's example differs from the test that compiles it")
}

// `Cluster`'s doc comment, compiled and run.
@Test func theClusterDocCommentRuns() throws {
    // BEGIN Cluster doc comment
    var options = ClusterOptions(nodes: 16, seed: 1)
    options.plumtree.messageCacheTTL = .seconds(300)  // longer than the partition, so repair has what to send
    let cluster = Cluster(options)
    cluster.run(for: .seconds(10))
    cluster.partition([cluster.nodes(0..<8), cluster.nodes(8..<16)])
    let key = cluster.broadcast(from: NodeID(0), payload: Array("hello".utf8))!
    cluster.run(for: .seconds(30))
    cluster.heal()
    cluster.run(for: .seconds(30))
    #expect(cluster.deliveredEverywhere(key))
    // END Cluster doc comment

    let declaration = try DocumentText.repositoryFile("Simulations/GossipSimulator/Gossip/Cluster.swift")
    let documented = try DocumentText.between("/// ```swift\n", "\n/// ```", in: declaration).split(separator: "\n").map { $0.dropFirst(4) }
    let compiled = try DocumentText.between("// BEGIN Cluster doc comment\n", "\n    // END Cluster doc comment",
                                            in: try DocumentText.repositoryFile("Tests/SimulatorExampleTests/DocumentedExampleTests.swift"))
        .split(separator: "\n").map { $0.dropFirst(4) }
    #expect(documented == compiled, "Cluster's doc comment differs from the code compiled here")
}
