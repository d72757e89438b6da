import Foundation
import ProtocolSupport

extension Cluster {
    /// The alerts that fire over the metrics scraped so far: which, when and on which node, as promtool
    /// evaluates `rules` at each check from `from` every `checkEvery` of virtual time.
    ///
    /// - Parameter rules: an alert rule file; nil takes `GOSSIP_ALERT_RULES` when set, else the package's
    ///   own rules (monitoring/prometheus/alerts.yml, shipped with the library).
    /// - Throws: ``PromtoolProofError``: promtool missing (with how to install it), the rules missing or
    ///   holding no alert, or no metrics scraped (``ClusterOptions/scrapeInterval`` nil).
    public func firingAlerts(rules: String? = nil, from: Duration = .seconds(60), checkEvery: Duration = .seconds(60))
        throws(PromtoolProofError) -> [AlertFiring] {
        guard let sampler = simulation.sampler else { throw .noMetrics }
        guard let rulesFile = rules ?? ScenarioRunner.defaultRulesFile() else {
            throw .rulesMissing("the package's alerts.yml (no *_GossipSimulator.resources folder beside this program)")
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cluster-alerts-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let proof = try PromtoolProof(rulesFile: rulesFile, directory: directory)
        let plan = AlertPlan(from: from, checkEvery: checkEvery)
        return try proof.firing(sampler, times: plan.checkTimes(until: now.duration(since: .zero)), name: "alerts")
    }
}
