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
    let here = URL(fileURLWithPath: #filePath)
    let root = here.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let document = try String(contentsOf: root.appendingPathComponent("docs/SIMULATOR.md"), encoding: .utf8)
    let source = try String(contentsOf: here, encoding: .utf8)
    let marker = try #require(document.range(of: "<!-- scenario: Tests/SimulatorExampleTests -->"))
    let fenceStart = try #require(document.range(of: "```swift\n", range: marker.upperBound..<document.endIndex))
    let fenceEnd = try #require(document.range(of: "\n```", range: fenceStart.upperBound..<document.endIndex))
    let begin = try #require(source.range(of: "// BEGIN SIMULATOR.md scenario\n"))
    let end = try #require(source.range(of: "\n// END SIMULATOR.md scenario"))
    #expect(document[fenceStart.upperBound..<fenceEnd.lowerBound] == source[begin.upperBound..<end.lowerBound],
            "docs/SIMULATOR.md's scenario differs from the test that runs it")
}
