import Foundation
import GossipSimulator
import ProtocolSupport
import Testing

/// Catalogue scenarios run whole, with the promtool proof against the real monitoring/prometheus/alerts.yml.
@Suite("Scenarios proven with promtool")
struct ScenarioTests {
    static func run(_ name: String, nodes: Int, seed: UInt64) throws -> ScenarioResult {
        let scenario = try #require(Catalogue.named(name))
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sim-\(name)-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        return ScenarioRunner.run(scenario, RunSettings(nodes: nodes, seed: seed, outputDirectory: directory))
    }

    @Test("one isolated node: PlumtreeNodeIsolated on it alone, everyone else delivers")
    func isolatedNode() throws {
        let result = try Self.run("isolated-node", nodes: 8, seed: 1)
        #expect(result.passed, "\(result.failures.prefix(8)) replay: \(result.replayCommand)")
        let fired = Set(result.verdict?.fired.filter { $0.alert == "PlumtreeNodeIsolated" }.map(\.instance) ?? [])
        #expect(fired.count == 1)
    }

    @Test("the catalogue lists every scenario the brief names, each with a plan")
    func catalogue() {
        let names = Catalogue.all.map(\.name)
        for name in ["steady", "isolated-node", "partition-heal", "crash-30", "packet-loss-20", "cache-fill", "flooding", "graft-backlog", "slow-node", "graft-failures"] {
            #expect(names.contains(name))
        }
        #expect(Set(names).count == names.count)
    }
}
