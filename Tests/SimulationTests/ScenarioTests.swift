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
        #expect(result.passed, "\(result)")
        let fired = Set(result.verdict?.fired.filter { $0.alert == "PlumtreeNodeIsolated" }.map(\.instance) ?? [])
        #expect(fired.count == 1)
        // What a failing `#expect(result.passed, "\(result)")` prints: a few lines, not the report's charts.
        let printed = "\(result)"
        #expect(printed.split(separator: "\n").count <= 10 && printed.utf8.count < 2_000, "\(printed.utf8.count) bytes")
        #expect(printed.contains("replay: \(result.replayCommand)") && printed.contains("PlumtreeNodeIsolated"))
        // The lab replays a scenario from its plan alone, so the plan must pick the node the run isolated.
        let plan = ScenarioPlan(try #require(Catalogue.named("isolated-node")), nodes: 8, seed: 1)
        #expect(Set(plan.victims) == fired)
        #expect(plan.expectations.contains { $0.alert == "PlumtreeNodeIsolated" && $0.instances == plan.victims && $0.strict })
    }

    @Test("a scenario's plan is its script: the same seed picks the same nodes, times and alert plan")
    func planIsDeterministic() throws {
        let scenario = try #require(Catalogue.named("crash-30"))
        let plans = [ScenarioPlan(scenario, nodes: 10, seed: 7), ScenarioPlan(scenario, nodes: 10, seed: 7)]
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        #expect(try encoder.encode(plans[0]) == encoder.encode(plans[1]))
        #expect(plans[0].victims.count == 3)
        #expect(plans[0].marks.map(\.seconds) == [180])
        // The lab injects the plan's faults itself: the crash names exactly the victims, at the mark.
        #expect(plans[0].faults.map(\.kind) == ["crash"])
        #expect(plans[0].faults.first?.nodes == plans[0].victims)
        #expect(plans[0].faults.first?.seconds == 180)
        let heal = ScenarioPlan(try #require(Catalogue.named("partition-heal")), nodes: 6, seed: 7)
        #expect(heal.faults.map(\.kind) == ["partition", "heal"])
        #expect(Set((heal.faults.first?.groups ?? []).joined()) == Set(heal.nodes), "the groups cover every node")
        let seeds = (1...8).map { ScenarioPlan(scenario, nodes: 10, seed: $0).victims }
        #expect(Set(seeds).count > 1, "the victims never depend on the seed")
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
