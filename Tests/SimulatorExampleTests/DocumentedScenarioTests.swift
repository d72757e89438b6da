import Foundation
import GossipSimulator
import Testing

// docs/SIMULATOR.md's "Writing a scenario" example, compiled and run as a user's own scenario would be.

// BEGIN SIMULATOR.md scenario
let oneNodeCrashes = Scenario(
    name: "one-node-crashes", summary: "one node crashes for good: PlumtreeTargetDown on it alone, the rest deliver",
    defaultNodes: 8, duration: .seconds(600),
    configure: { options in options.plumtree.graftTimeout = .milliseconds(300) },   // optional
    script: { s in
        let victim = s.pick(1)[0]                          // seeded: the same node on every replay
        s.victims = [victim]                               // excluded from the delivery check
        s.inject(.crash([victim]), at: .seconds(180))      // a fault the lab can replay, marked on the charts
        s.broadcasts(perSecond: 1, from: .seconds(60), until: .seconds(570))
        s.plan.tolerate("PlumtreeTargetDown", on: [victim], from: .seconds(180), until: .seconds(270))
        s.plan.expect("PlumtreeTargetDown", on: [victim], from: .seconds(270), until: .seconds(660))
    },
    check: { s, m in s.undelivered(excluding: s.victims) }   // each returned line is a failure
)

@Test func oneNodeCrashesAsPlanned() {
    let result = ScenarioRunner.run(oneNodeCrashes, RunSettings(seed: 1))
    #expect(result.passed, "\(result)")
}
// END SIMULATOR.md scenario

@Test func theDocumentShowsExactlyThisScenario() throws {
    let shown = try DocumentText.fencedBlock(after: "<!-- scenario: Tests/SimulatorExampleTests -->",
                                             in: try DocumentText.repositoryFile("docs/SIMULATOR.md"))
    let compiled = try DocumentText.between("// BEGIN SIMULATOR.md scenario\n", "\n// END SIMULATOR.md scenario",
                                            in: try DocumentText.repositoryFile("Tests/SimulatorExampleTests/DocumentedScenarioTests.swift"))
    #expect(shown == compiled, "docs/SIMULATOR.md's scenario differs from the test that runs it")
}
