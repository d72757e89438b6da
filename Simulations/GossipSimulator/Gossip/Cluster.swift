import GossipNodeCore
import GossipObservability
import Membership
import Plumtree
import ProtocolSupport

/// Which registry each simulated node records into.
public enum MetricsBackend: String, Sendable, Codable, CaseIterable {
    /// The observability layer's per-node Prometheus registry: exactly what a real node exports.
    case prometheus
    /// The simulator's own plain-number registry: far less memory, for clusters of thousands.
    case lightweight
}

/// How a simulated cluster learns who is up.
public enum MembershipMode: String, Sendable, Codable, CaseIterable {
    /// The simulation tells every node of every crash and restart after ``ClusterOptions/oracleDetectionDelay``.
    case oracle
    /// The real SWIM + Lifeguard membership core runs on every node.
    case swim
}

/// Everything that shapes a simulated cluster.
public struct ClusterOptions: Sendable {
    public var nodes: Int
    public var seed: UInt64
    public var membership: MembershipMode
    public var plumtree: PlumtreeConfig
    public var conditions: LinkConditions
    /// How long the oracle takes to tell the others of a crash (oracle mode only).
    public var oracleDetectionDelay: Duration
    /// Virtual time between metric scrapes; nil turns scraping off.
    public var scrapeInterval: Duration?
    /// Payload size of ``Cluster/broadcast(from:size:)`` by default.
    public var payloadSize: Int
    /// Which registry each node records into.
    public var metrics: MetricsBackend
    /// With oracle membership, how many members (drawn at random) each node is told of at start; nil: all.
    /// Full views cost O(n²) memory, which rules them out at ten thousand nodes in one process; Plumtree
    /// only needs enough members to pick its eager and lazy neighbours from.
    public var oracleViewSize: Int?
    /// The membership core's timing (swim mode), memberlist's LAN profile by default.
    public var membershipConfig: MembershipConfig = .lan
    /// The longest wait between attempts to reach a failed member again (swim mode), as on a real node.
    public var reconnectInterval: Duration = .seconds(30)
    /// How long failed members are tried again (swim mode); zero turns reconnecting off, as memberlist alone.
    public var reconnectTimeout: Duration = .seconds(24 * 3600)
    /// Check every node's invariants after every input, in release builds too (debug builds always do).
    public var checkInvariants = false

    public init(
        nodes: Int, seed: UInt64, membership: MembershipMode = .swim, plumtree: PlumtreeConfig = .lan,
        conditions: LinkConditions = .lan, oracleDetectionDelay: Duration = .seconds(5),
        scrapeInterval: Duration? = .seconds(15), payloadSize: Int = 256, metrics: MetricsBackend = .prometheus
    ) {
        self.metrics = metrics
        self.nodes = nodes
        self.seed = seed
        self.membership = membership
        self.plumtree = plumtree
        self.conditions = conditions
        self.oracleDetectionDelay = oracleDetectionDelay
        self.scrapeInterval = scrapeInterval
        self.payloadSize = payloadSize
    }
}

/// One message a simulated node handed its application (``Cluster/onDelivery``).
public struct SimulatedDelivery: Sendable {
    /// The node that delivered it.
    public var node: NodeID
    /// The key ``Cluster/broadcast(from:payload:)`` returned for it.
    public var key: UInt64
    /// The node that broadcast it.
    public var origin: NodeID?
    /// The payload as the application broadcast it.
    public var payload: [UInt8]
    /// Hops from the origin.
    public var hops: Int
    /// The virtual time of the delivery.
    public var time: Instant
}

/// A cluster of gossip nodes in virtual time: the API a test uses to build a cluster, put its own
/// application on the nodes, inject faults and assert on deliveries, metrics, measures and alerts.
///
/// ```swift
/// var options = ClusterOptions(nodes: 16, seed: 1)
/// options.plumtree.messageCacheTTL = .seconds(300)  // longer than the partition, so repair has what to send
/// let cluster = Cluster(options)
/// cluster.run(for: .seconds(10))
/// cluster.partition([cluster.nodes(0..<8), cluster.nodes(8..<16)])
/// let key = cluster.broadcast(from: NodeID(0), payload: Array("hello".utf8))!
/// cluster.run(for: .seconds(30))
/// cluster.heal()
/// cluster.run(for: .seconds(30))
/// #expect(cluster.deliveredEverywhere(key))
/// ```
public final class Cluster {
    public let options: ClusterOptions
    /// The engine underneath, for anything the cluster does not wrap.
    public let simulation: Simulation<ClusterNode>
    private var nextKey: UInt64 = 1
    /// Plumtree settings of nodes restarted with settings of their own (a rolling upgrade), by node index.
    private let plumtreeOverrides: PlumtreeOverrides

    public init(_ options: ClusterOptions) {
        self.options = options
        let plumtree = options.plumtree
        let mode = options.membership
        let view = options.oracleViewSize
        let membershipConfig = options.membershipConfig
        var reconnect = ReconnectConfig()
        reconnect.interval = options.reconnectInterval
        reconnect.timeout = options.reconnectTimeout
        let checkInvariants = options.checkInvariants
        let overrides = PlumtreeOverrides()
        plumtreeOverrides = overrides
        simulation = Simulation(seed: options.seed, conditions: options.conditions, capacity: max(options.nodes, 1)) { [reconnect] context in
            ClusterNode(context, config: overrides.settings[context.id.index] ?? plumtree, membership: mode, membershipConfig: membershipConfig, reconnect: reconnect,
                        checkInvariants: checkInvariants, oracleViewSize: view)
        }
        switch options.metrics {
        case .prometheus:
            let descriptors = ClusterNode.descriptors(options.membership)
            simulation.makeMetrics = { _ in NodeMetrics(descriptors: descriptors) }
        case .lightweight:
            var buckets: [String: [Double]] = [:]
            for descriptor in ClusterNode.descriptors(options.membership) where descriptor.kind == .histogram {
                buckets[descriptor.name] = descriptor.buckets
            }
            simulation.makeMetrics = { [buckets] _ in NodeMetricsRegistry(buckets: buckets) }
        }
        if let interval = options.scrapeInterval { simulation.startScraping(every: interval) }
        simulation.addNodes(options.nodes)
    }

    // MARK: Time and traffic

    public var now: Instant { simulation.now }

    public func run(for duration: Duration) { simulation.run(for: duration) }

    public func run(until time: Instant) { simulation.run(until: time) }

    /// Runs `action` at `time` of virtual time.
    public func at(_ time: Duration, _ action: @escaping (Cluster) -> Void) {
        simulation.schedule(at: Instant.zero + time) { [unowned self] _ in action(self) }
    }

    /// Broadcasts a payload from `node`; returns its key (nil if the node is down or refused it).
    @discardableResult
    public func broadcast(from node: NodeID, size: Int? = nil) -> UInt64? {
        let key = nextKey
        let size = size ?? options.payloadSize
        let done: Bool? = simulation.perform(on: node) { node, now, io in
            (try? node.broadcast(key: key, size: size, now: now, io: &io)) != nil
        }
        guard done == true else { return nil }
        nextKey += 1
        return key
    }

    /// Broadcasts an application's own payload from `node`; returns its key (nil if the node is down or
    /// refused it). The simulator carries the key in 8 bytes before the payload, to match deliveries to
    /// broadcasts; ``onDelivery`` hands the payload back without them.
    @discardableResult
    public func broadcast(from node: NodeID, payload: [UInt8]) -> UInt64? {
        let key = nextKey
        let done: Bool? = simulation.perform(on: node) { node, now, io in
            (try? node.broadcast(key: key, payload: payload, now: now, io: &io)) != nil
        }
        guard done == true else { return nil }
        nextKey += 1
        return key
    }

    /// Called with every message any node hands its application, once that node's own step is over: the
    /// handler may broadcast in turn, crash a node or change the network, as a service on that node
    /// would. Nil (the default) copies no payloads, for large runs.
    public var onDelivery: ((SimulatedDelivery) -> Void)? {
        didSet {
            guard let handler = onDelivery else {
                simulation.onApplicationDelivery = nil
                return
            }
            simulation.onApplicationDelivery = { [unowned self] node, delivery in
                handler(SimulatedDelivery(node: node, key: delivery.key, origin: delivery.origin, payload: delivery.payload,
                                          hops: delivery.hops, time: self.now))
            }
        }
    }

    /// What `node` thinks of every other member: with swim membership its membership table (members it
    /// has forgotten are absent); with oracle membership what the oracle last told it. Empty when the
    /// node is not running.
    public func view(of node: NodeID) -> [NodeID: ObservedMemberState] {
        guard simulation.state(of: node) == .running else { return [:] }
        var view: [NodeID: ObservedMemberState] = [:]
        switch options.membership {
        case .swim:
            for member in simulation.node(node)?.members ?? [] {
                guard let id = NodeID(name: member.name), id != node else { continue }
                view[id] = switch member.state {
                case .alive: .alive
                case .suspect: .suspect
                case .dead: .dead
                case .left: .left
                }
            }
        case .oracle:
            for member in simulation.allNodes where member != node {
                view[member] = oracleDown.contains(UInt64(node.index) << 32 | UInt64(member.index)) ? .dead : .alive
            }
        }
        return view
    }

    /// Whether every running node other than the origin, started before the broadcast, delivered it.
    public func deliveredEverywhere(_ key: UInt64) -> Bool {
        guard let record = simulation.recorder.messages[key] else { return false }
        return simulation.runningNodes.allSatisfy { node in
            node == record.origin || simulation.recorder.delivered(key, at: node)
        }
    }

    /// Which running nodes have not delivered `key` (the origin excluded).
    public func missing(_ key: UInt64) -> [NodeID] {
        guard let record = simulation.recorder.messages[key] else { return simulation.runningNodes }
        return simulation.runningNodes.filter { $0 != record.origin && !simulation.recorder.delivered(key, at: $0) }
    }

    public func measures() -> RunMeasures { simulation.measures() }

    // MARK: Nodes and faults

    public func nodes(_ range: Range<Int>) -> [NodeID] { simulation.nodes(range) }
    public var allNodes: [NodeID] { simulation.allNodes }
    public var runningNodes: [NodeID] { simulation.runningNodes }

    /// The current value of a metric on one node (nil when the node is down or never created it).
    public func metric(_ name: String, _ labels: [String: String] = [:], on node: NodeID) -> Double? {
        simulation.metrics(of: node)?.value(name, labels)
    }

    /// Crashes `node`; with oracle membership, the others hear of it after the detection delay.
    public func crash(_ node: NodeID) {
        simulation.crash(node)
        scheduleOracleSync()
    }

    /// Restarts a crashed or departed node as a fresh process.
    public func restart(_ node: NodeID) {
        simulation.restart(node)
        oracleDown = oracleDown.filter { Int($0 >> 32) != node.index }
        scheduleOracleSync()
    }

    /// Restarts a crashed or departed node as a fresh process running `plumtree` from now on: one step of
    /// a rolling upgrade (say, a node that speaks Plumtree versions 1...2 where it spoke 1).
    public func restart(_ node: NodeID, plumtree: PlumtreeConfig) {
        plumtreeOverrides.settings[node.index] = plumtree
        restart(node)
    }

    /// Makes `node` leave gracefully.
    public func leave(_ node: NodeID) {
        simulation.leave(node)
        scheduleOracleSync()
    }

    public func partition(_ groups: [[NodeID]], oneWay: Bool = false) {
        simulation.partition(groups, oneWay: oneWay)
        scheduleOracleSync()
    }

    public func isolate(_ node: NodeID) {
        simulation.isolate(node)
        scheduleOracleSync()
    }

    public func heal() {
        simulation.heal()
        scheduleOracleSync()
    }

    /// (observer << 32 | member) pairs the oracle has reported down.
    private var oracleDown: Set<UInt64> = []

    /// With oracle membership, tells every running node, after the detection delay, which members it can
    /// and cannot reach at that moment (a perfect failure detector with a fixed delay).
    private func scheduleOracleSync() {
        guard options.membership == .oracle else { return }
        simulation.schedule(at: now + options.oracleDetectionDelay) { [unowned self] sim in
            for observer in sim.runningNodes {
                for member in sim.allNodes where member != observer {
                    let key = UInt64(observer.index) << 32 | UInt64(member.index)
                    let up = sim.state(of: member) == .running && sim.canReach(from: observer, to: member)
                        && sim.canReach(from: member, to: observer)
                    let wasDown = oracleDown.contains(key)
                    guard up == wasDown else { continue }
                    if up { oracleDown.remove(key) } else { oracleDown.insert(key) }
                    sim.perform(on: observer) { node, now, io in node.member(member, up: up, now: now, io: &io) }
                }
            }
        }
    }

    public func setSlow(_ node: NodeID, delay: Duration) { simulation.setSlow(node, delay: delay) }
    public func setConditions(_ conditions: LinkConditions) { simulation.defaultConditions = conditions }
    public func setConditions(_ conditions: LinkConditions?, for node: NodeID) { simulation.setConditions(conditions, for: node) }
}

/// The Plumtree settings nodes restarted with settings of their own run, read by the cluster's node factory.
/// The factory is a closure the engine holds, so the settings live in a reference both share.
final class PlumtreeOverrides {
    var settings: [Int: PlumtreeConfig] = [:]
}
