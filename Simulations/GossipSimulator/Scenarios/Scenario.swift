import Plumtree
import ProtocolSupport

/// A named fault script with the alerts it expects: the unit of `plumtree-sim run` and of `make sim`.
///
/// A scenario shapes the cluster (`configure`), schedules its broadcasts and faults and states its alert
/// plan (`script`), and may check the run's measures afterwards (`check`). Everything it draws comes from
/// the context's seeded random source, so a scenario replays exactly from its seed.
public struct Scenario: Sendable {
    public var name: String
    /// One line: what happens and what must hold.
    public var summary: String
    public var defaultNodes: Int
    /// Virtual time the run lasts.
    public var duration: Duration
    public var configure: @Sendable (inout ClusterOptions) -> Void
    public var script: @Sendable (ScenarioContext) -> Void
    /// Extra assertions on the finished run; each returned line is a failure.
    public var check: @Sendable (ScenarioContext, RunMeasures) -> [String]

    public init(
        name: String, summary: String, defaultNodes: Int = 24, duration: Duration,
        configure: @escaping @Sendable (inout ClusterOptions) -> Void = { _ in },
        script: @escaping @Sendable (ScenarioContext) -> Void,
        check: @escaping @Sendable (ScenarioContext, RunMeasures) -> [String] = { _, _ in [] }
    ) {
        self.name = name
        self.summary = summary
        self.defaultNodes = defaultNodes
        self.duration = duration
        self.configure = configure
        self.script = script
        self.check = check
    }
}

extension Scenario {
    /// The cluster a run of this scenario uses: the caller's size (the scenario's default when nil), seed and
    /// membership, then the scenario's own settings.
    public func options(nodes: Int?, seed: UInt64, membership: MembershipMode = .swim) -> ClusterOptions {
        var options = ClusterOptions(nodes: nodes ?? defaultNodes, seed: seed, membership: membership)
        configure(&options)
        return options
    }

    /// A cluster with this scenario's script laid on it (broadcasts, faults, alert plan), not yet run.
    func scripted(_ options: ClusterOptions) -> (Cluster, ScenarioContext) {
        let cluster = Cluster(options)
        let context = ScenarioContext(cluster: cluster, seed: options.seed)
        script(context)
        return (cluster, context)
    }
}

/// What a scenario's script works with: the cluster, its alert plan, and a seeded random source.
public final class ScenarioContext {
    public let cluster: Cluster
    public var plan: AlertPlan
    public var random: SeededRandom
    /// Nodes the script singled out (isolated, crashed, slowed), for the checks.
    public var victims: [NodeID] = []
    /// Marks shown on the report's charts (e.g. "partition", "heal"), in virtual seconds.
    public private(set) var marks: [(seconds: Double, label: String)] = []
    /// The faults injected with ``inject(_:at:)``, in virtual seconds, for the plan the lab replays.
    public internal(set) var faults: [(seconds: Double, fault: ScenarioFault)] = []

    init(cluster: Cluster, seed: UInt64) {
        self.cluster = cluster
        self.plan = AlertPlan()
        self.random = SeededRandom(seed: seed ^ 0x5CE7_A210)
    }

    public var nodes: [NodeID] { cluster.allNodes }

    /// Runs `action` at `time` and marks it on the charts.
    public func at(_ time: Duration, _ label: String, _ action: @escaping (Cluster) -> Void) {
        marks.append((time.seconds, label))
        cluster.at(time, action)
    }

    /// Broadcasts `perSecond` messages a second, evenly spaced, from `from` until `until`, each from a
    /// running node drawn at random when it is sent (optionally only among `origins`, never `excluded`).
    public func broadcasts(perSecond: Double, from: Duration, until: Duration, size: Int? = nil, origins: [NodeID]? = nil,
                           excluding excluded: [NodeID] = []) {
        guard perSecond > 0 else { return }
        let step = Duration.seconds(1 / perSecond)
        var t = from
        while t < until {
            cluster.at(t) { [unowned self] cluster in
                let candidates = (origins ?? cluster.runningNodes).filter {
                    cluster.simulation.state(of: $0) == .running && !excluded.contains($0)
                }
                guard !candidates.isEmpty else { return }
                let origin = candidates[Int(self.random.next() % UInt64(candidates.count))]
                cluster.broadcast(from: origin, size: size)
            }
            t += step
        }
    }

    /// `count` distinct nodes drawn at random.
    public func pick(_ count: Int, from candidates: [NodeID]? = nil) -> [NodeID] {
        var pool = candidates ?? nodes
        var chosen: [NodeID] = []
        while chosen.count < count, !pool.isEmpty {
            chosen.append(pool.remove(at: Int(random.next() % UInt64(pool.count))))
        }
        return chosen.sorted()
    }
}

extension ScenarioContext {
    /// Failures for broadcasts some running node outside `excluded` never delivered (the origin aside).
    public func undelivered(excluding excluded: [NodeID] = []) -> [String] {
        var failures: [String] = []
        for key in cluster.simulation.recorder.originatedMessages {
            let missing = cluster.missing(key).filter { !excluded.contains($0) }
            if !missing.isEmpty {
                failures.append("broadcast \(key) never reached \(missing.prefix(5).map(\.name).joined(separator: ", "))\(missing.count > 5 ? " and \(missing.count - 5) more" : "")")
            }
        }
        return failures.count > 10 ? Array(failures.prefix(10)) + ["... \(failures.count - 10) more undelivered broadcasts"] : failures
    }
}
