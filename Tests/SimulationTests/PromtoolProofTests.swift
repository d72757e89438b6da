import Foundation
import ProtocolSupport
import Testing

@testable import GossipSimulator

@Suite("Alert proof with promtool")
struct PromtoolProofTests {
    static let rules = """
        groups:
          - name: test
            rules:
              - alert: TestTargetDown
                expr: up{job="sim"} == 0
                for: 1m
                labels: {severity: critical}
                annotations: {summary: "{{ $labels.instance }} is down", description: "value \\"{{ $value }}\\""}
              - alert: TestNothingSeen
                expr: flood_seen > 1000
                for: 1m
                labels: {severity: warning}
        """

    static func crashRun() -> Simulation<FloodNode> {
        let sim = Simulation(seed: 9) { FloodNode($0, fanout: 3) }
        sim.addNodes(6)
        sim.startScraping(every: .seconds(15))
        sim.schedule(at: Instant.zero + .seconds(60)) { $0.crash(NodeID(2)) }
        sim.run(for: .seconds(300))
        return sim
    }

    static func directory() -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("promtool-proof-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try? rules.write(toFile: dir + "/rules.yml", atomically: true, encoding: .utf8)
        return dir
    }

    @Test("an expected alert on the right instance passes promtool")
    func expectedAlertPasses() throws {
        let dir = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let proof = try PromtoolProof(rulesFile: dir + "/rules.yml", directory: dir)
        #expect(proof.job == "sim")
        var plan = AlertPlan(from: .seconds(30), checkEvery: .seconds(30))
        plan.tolerate("TestTargetDown", on: [NodeID(2)], from: .seconds(60), until: .seconds(150))
        plan.expect("TestTargetDown", on: [NodeID(2)], from: .seconds(150), until: .seconds(301))
        let verdict = try proof.verify(Self.crashRun().sampler!, plan: plan, end: .seconds(300), name: "crash")
        #expect(verdict.passed, "\(verdict.failures.prefix(5))")
        #expect(verdict.fired.contains(AlertFiring(seconds: 300, alert: "TestTargetDown", instance: "node-2")))
        #expect(verdict.alertNames == ["TestTargetDown", "TestNothingSeen"])
        let text = try String(contentsOfFile: verdict.testFile, encoding: .utf8)
        #expect(text.contains("up{instance=\"node-2\",job=\"sim\"}"))
    }

    @Test("an alert on the wrong instance, or one not expected at all, fails")
    func wrongInstanceFails() throws {
        let dir = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let proof = try PromtoolProof(rulesFile: dir + "/rules.yml", directory: dir)
        var plan = AlertPlan(from: .seconds(30), checkEvery: .seconds(30))
        plan.expect("TestTargetDown", on: [NodeID(3)], from: .seconds(150), until: .seconds(301))
        let verdict = try proof.verify(Self.crashRun().sampler!, plan: plan, end: .seconds(300), name: "wrong")
        #expect(!verdict.passed)
        #expect(verdict.failures.contains { $0.contains("expected on node-3") })
        #expect(verdict.failures.contains { $0.contains("fired on node-2") })
        let silent = try proof.verify(Self.crashRun().sampler!, plan: AlertPlan(from: .seconds(30)), end: .seconds(300), name: "silent")
        #expect(!silent.passed)
    }

    @Test("series notation round-trips runs, gaps and staleness as promtool reads them")
    func notation() {
        #expect(SeriesNotation.encode([1, 3, 5, 7, .nan, .nan, .nan, 9]) == "1+2x3 stale _x2 9")
        #expect(SeriesNotation.encode([.nan, .nan, 4, 4, 4]) == "_x2 4x2")
        #expect(SeriesNotation.encode([0.5, 0.25, 2]) == "0.5 0.25 2")
        #expect(SeriesNotation.encode([9, 8, 7, 6]) == "9-1x3")
    }

    @Test("promtool's report of what fired is read back exactly")
    func parseOutput() {
        let text = """
              FAILED:
                alertname: Low, time: 2m15s, 
                    exp:[], 
                    got:[
                        0:
                          Labels:{alertname="Low", instance="a", job="g", severity="critical"}
                          Annotations:{description="he said \\"hi\\"\\n", summary="x on a is 0"},
                        1:
                          Labels:{alertname="Low", instance="b", job="g", severity="critical"}
                          Annotations:{summary="x on b is 0"}
                        ]
            """
        let got = PromtoolOutput.parse(text)
        #expect(got.count == 1)
        #expect(got.first?.seconds == 135)
        #expect(got.first?.alerts.first?.labels.map(\.1) == ["Low", "a", "g", "critical"])
        #expect(got.first?.alerts.first?.annotations.first?.1 == "he said \"hi\"\n")
        #expect(got.first?.alerts.count == 2)
        #expect(got.first?.alerts.last?.annotations.first?.1 == "x on b is 0")
    }
}
