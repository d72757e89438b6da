import Foundation
import Plumtree

/// A scenario's script without its run: the faults' times, the nodes it singled out, and its alert plan.
///
/// The lab (`Tests/Lab`) replays a scenario on real processes and checks a real Prometheus against this very
/// plan, so the simulator and the lab hold the alert rules to one plan, not two.
public struct ScenarioPlan: Sendable, Codable {
    public struct Mark: Sendable, Codable {
        public var seconds: Double
        public var label: String
    }

    /// A fault the lab can inject into real processes (``ScenarioFault``), by node name.
    public struct Fault: Sendable, Codable {
        public var seconds: Double
        /// `crash`, `partition`, `isolate`, `heal` or `loss`.
        public var kind: String
        /// The nodes a crash or an isolation hits.
        public var nodes: [String]?
        /// A partition's groups.
        public var groups: [[String]]?
        /// The share of datagrams lost.
        public var loss: Double?

        init(seconds: Double, _ fault: ScenarioFault) {
            self.seconds = seconds
            switch fault {
            case .crash(let nodes): (kind, self.nodes) = ("crash", nodes.map(\.name))
            case .partition(let groups): (kind, self.groups) = ("partition", groups.map { $0.map(\.name) })
            case .isolate(let node): (kind, nodes) = ("isolate", [node.name])
            case .heal: kind = "heal"
            case .loss(let share): (kind, loss) = ("loss", share)
            }
        }
    }

    public struct Expectation: Sendable, Codable {
        public var alert: String
        /// Node names; nil in a tolerance means any instance.
        public var instances: [String]?
        public var fromSeconds: Double
        public var untilSeconds: Double
        public var strict: Bool
    }

    public var scenario: String
    public var nodes: [String]
    public var victims: [String]
    public var durationSeconds: Double
    /// Everything marked on the charts, in virtual seconds from the start.
    public var marks: [Mark]
    /// The faults the lab can replay, in order; empty when the scenario has none the kernel can make.
    public var faults: [Fault]
    /// Node settings the scenario changes, by the key `gossip-node` reads them under (`plumtree.message_cache_ttl`),
    /// so that the lab's nodes run as the simulated ones do. Only settings the lab's nodes take are listed.
    public var settings: [String: String]
    public var checksFromSeconds: Double
    public var checkEverySeconds: Double
    public var expectations: [Expectation]

    /// Scripts `scenario` on a cluster of `nodes` from `seed`, exactly as `ScenarioRunner.run` would, without running it.
    public init(_ scenario: Scenario, nodes: Int? = nil, seed: UInt64 = 1) {
        let options = scenario.options(nodes: nodes, seed: seed)
        let context = scenario.scripted(options).1
        self.scenario = scenario.name
        self.nodes = context.nodes.map(\.name)
        self.victims = context.victims.map(\.name)
        self.durationSeconds = scenario.duration.seconds
        self.marks = context.marks.map { Mark(seconds: $0.seconds, label: $0.label) }
        self.faults = context.faults.map { Fault(seconds: $0.seconds, $0.fault) }
        var settings: [String: String] = [:]
        let defaults = PlumtreeConfig.lan  // what ClusterOptions starts from
        if options.plumtree.messageCacheTTL != defaults.messageCacheTTL {
            settings["plumtree.message_cache_ttl"] = "\(Int(options.plumtree.messageCacheTTL.seconds.rounded(.up)))s"
        }
        if options.plumtree.messageCacheMaxSize != defaults.messageCacheMaxSize {
            settings["plumtree.message_cache_max_size"] = "\(options.plumtree.messageCacheMaxSize)"
        }
        self.settings = settings
        self.checksFromSeconds = context.plan.from.seconds
        self.checkEverySeconds = context.plan.checkEvery.seconds
        self.expectations = context.plan.expectations.map {
            Expectation(alert: $0.alert, instances: $0.instances.map { $0.sorted() }, fromSeconds: $0.from.seconds,
                        untilSeconds: $0.until.seconds, strict: $0.strict)
        }
    }
}
