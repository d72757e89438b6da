import Foundation
import Plumtree
import ProtocolSupport

/// Everything one scenario run produced.
public struct ScenarioResult: Sendable {
    public var scenario: String
    public var nodes: Int
    public var seed: UInt64
    public var membership: MembershipMode
    public var measures: RunMeasures
    /// The same run with pruning off (flooding over the overlay), when asked for.
    public var baseline: RunMeasures?
    /// The promtool proof of the alert plan (nil when scraping or the proof was off).
    public var verdict: AlertVerdict?
    /// Every reason the run failed; empty when it passed.
    public var failures: [String]
    public var wallSeconds: Double
    public var durationSeconds: Double
    /// The command that replays this run exactly.
    public var replayCommand: String
    /// Chart data for the report.
    public var charts: ScenarioCharts
    public var passed: Bool { failures.isEmpty }
}

/// The time series a report draws.
public struct ScenarioCharts: Sendable {
    public var latencyCDF: [(Double, Double)] = []
    /// (virtual seconds, RMR over the preceding scrape interval).
    public var rmrOverTime: [(Double, Double)] = []
    /// State -> (virtual seconds, mean members in that state as running nodes see them).
    public var membersByState: [(String, [(Double, Double)])] = []
    public var marks: [(Double, String)] = []
    public var alertSpans: [(alert: String, instance: String, from: Double, to: Double)] = []
}

/// How to run a scenario.
public struct RunSettings: Sendable {
    public var nodes: Int?
    public var seed: UInt64
    public var baseline: Bool
    /// The alert rule file; nil: ``ScenarioRunner/defaultRulesFile()``.
    public var rulesFile: String?
    /// Where the promtool files go (the report folder); nil: a temporary folder.
    public var outputDirectory: String?
    /// Whether to prove the alert plan with promtool.
    public var proveAlerts: Bool
    /// Membership for every node (scenarios default to the real membership core).
    public var membership: MembershipMode?

    public init(nodes: Int? = nil, seed: UInt64, baseline: Bool = false, rulesFile: String? = nil, outputDirectory: String? = nil,
                proveAlerts: Bool = true, membership: MembershipMode? = nil) {
        self.nodes = nodes
        self.seed = seed
        self.baseline = baseline
        self.rulesFile = rulesFile
        self.outputDirectory = outputDirectory
        self.proveAlerts = proveAlerts
        self.membership = membership
    }
}

public enum ScenarioRunner {
    /// The alert rules runs are judged by unless told otherwise: `GOSSIP_ALERT_RULES` when set, else the
    /// package's own rules (monitoring/prometheus/alerts.yml, shipped with the library as a resource).
    public static func defaultRulesFile() -> String? {
        if let path = ProcessInfo.processInfo.environment["GOSSIP_ALERT_RULES"] { return path }
        return AlertRules.packaged
    }

    /// Runs `scenario`; `progress` hears the share of virtual time done (0...1).
    public static func run(_ scenario: Scenario, _ settings: RunSettings, progress: ((Double) -> Void)? = nil) -> ScenarioResult {
        let started = Date()
        let nodes = settings.nodes ?? scenario.defaultNodes
        let options = scenario.options(nodes: nodes, seed: settings.seed, membership: settings.membership ?? .swim)
        let (cluster, context) = execute(scenario, options, progress: progress)
        var measures = cluster.measures()
        var failures = scenario.check(context, measures)
        if measures.messages == 0 && failures.isEmpty { failures.append("the scenario broadcast nothing") }

        var verdict: AlertVerdict?
        if settings.proveAlerts, let sampler = cluster.simulation.sampler {
            let directory = settings.outputDirectory ?? FileManager.default.temporaryDirectory
                .appendingPathComponent("plumtree-sim-\(scenario.name)-\(settings.seed)-\(ProcessInfo.processInfo.processIdentifier)").path
            do {
                guard let rules = settings.rulesFile ?? defaultRulesFile() else { throw PromtoolProofError.rulesMissing("the package's alerts.yml resource") }
                let proof = try PromtoolProof(rulesFile: rules, directory: directory)
                verdict = try proof.verify(sampler, plan: context.plan, end: scenario.duration, name: scenario.name)
                failures += verdict!.failures
                if !verdict!.passed && verdict!.failures.isEmpty { failures.append("promtool test rules failed: \(verdict!.testFile)") }
            } catch {
                failures.append("alert proof could not run: \(error)")
            }
        }

        var baseline: RunMeasures?
        if settings.baseline {
            var flood = options
            flood.plumtree.pruning = false
            flood.scrapeInterval = nil
            baseline = execute(scenario, flood, progress: nil).0.measures()
        }
        measures.events = cluster.simulation.eventsProcessed
        let charts = makeCharts(cluster, context, measures: measures, verdict: verdict)
        var command = "swift run plumtree-sim run \(scenario.name) --nodes \(nodes) --seed \(settings.seed)"
        if let membership = settings.membership, membership != .swim { command += " --membership \(membership.rawValue)" }
        if settings.baseline { command += " --baseline" }
        return ScenarioResult(
            scenario: scenario.name, nodes: nodes, seed: settings.seed, membership: options.membership, measures: measures,
            baseline: baseline, verdict: verdict, failures: failures, wallSeconds: Date().timeIntervalSince(started),
            durationSeconds: scenario.duration.seconds, replayCommand: command, charts: charts)
    }

    static func execute(_ scenario: Scenario, _ options: ClusterOptions, progress: ((Double) -> Void)?) -> (Cluster, ScenarioContext) {
        let (cluster, context) = scenario.scripted(options)
        // Run in slices so a progress bar can follow; the slicing does not change the run.
        let end = Instant.zero + scenario.duration
        let slice = Duration.seconds(5)
        while cluster.now < end {
            cluster.run(until: min(end, cluster.now + slice))
            progress?(cluster.now.duration(since: .zero).seconds / scenario.duration.seconds)
        }
        return (cluster, context)
    }

    static func makeCharts(_ cluster: Cluster, _ context: ScenarioContext, measures: RunMeasures, verdict: AlertVerdict?) -> ScenarioCharts {
        var charts = ScenarioCharts()
        charts.latencyCDF = cluster.simulation.recorder.latency.cdf
        charts.marks = context.marks.map { ($0.seconds, $0.label) }
        guard let sampler = cluster.simulation.sampler else { return charts }
        let times = sampler.times.map { $0.nanoseconds }.map { Double($0) / 1e9 }
        let delivered = sampler.clusterSum("plumtree_messages_delivered_total")
        let duplicates = sampler.clusterSum("plumtree_messages_duplicate_total")
        for i in 1..<max(1, times.count) {
            let dd = delivered[i] - delivered[i - 1], dup = duplicates[i] - duplicates[i - 1]
            if dd > 0 && dup >= 0 { charts.rmrOverTime.append((times[i], dup / dd)) }
        }
        let up = sampler.clusterSum("up")
        for state in ObservedMemberState.allCases {
            let sums = sampler.clusterSum("memberlist_members{state=\"\(state.rawValue)\"}")
            guard sums.contains(where: { $0 > 0 }) else { continue }
            charts.membersByState.append((state.rawValue, zip(times, zip(sums, up)).map { ($0.0, $0.1.1 > 0 ? $0.1.0 / $0.1.1 : 0) }))
        }
        if let verdict {
            // Consecutive checks of one (alert, instance) become one span.
            let step = context.plan.checkEvery.seconds
            var spans: [String: (String, String, Double, Double)] = [:]
            var order: [String] = []
            for firing in verdict.fired {
                let key = "\(firing.alert)|\(firing.instance)|"
                let t = Double(firing.seconds)
                if let open = spans[key], t - open.3 <= step + 0.5 {
                    spans[key] = (open.0, open.1, open.2, t)
                } else {
                    if let open = spans[key] { charts.alertSpans.append((open.0, open.1, open.2, open.3 + step)) }
                    spans[key] = (firing.alert, firing.instance, t, t)
                    if !order.contains(key) { order.append(key) }
                }
            }
            for key in order { if let open = spans[key] { charts.alertSpans.append((open.0, open.1, open.2, open.3 + step)) } }
        }
        return charts
    }
}
