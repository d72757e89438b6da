import ArgumentParser
import Foundation
import GossipSimulator

/// `plumtree-sim plan`: a scenario's fault times, chosen nodes and alert plan as JSON, for the lab to replay.
struct Plan: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Prints a scenario's script as JSON (fault times, the nodes it picks, its alert plan) without running it.")

    @Argument(help: "The scenario (see `plumtree-sim list`).")
    var scenario: String

    @Option(help: "Nodes in the cluster (default: the scenario's).")
    var nodes: Int?

    @Option(help: "The seed every random choice derives from.")
    var seed: UInt64 = 1

    func run() throws {
        guard let scenario = Catalogue.named(scenario) else {
            throw ValidationError("no scenario named '\(scenario)': `plumtree-sim list` shows them")
        }
        if let nodes, !(2...100_000).contains(nodes) { throw ValidationError("--nodes must be between 2 and 100000, not \(nodes)") }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try encoder.encode(ScenarioPlan(scenario, nodes: nodes, seed: seed))
        print(String(decoding: data, as: UTF8.self))
    }
}
