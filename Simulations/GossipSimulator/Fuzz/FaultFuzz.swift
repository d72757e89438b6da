import Foundation
import ProtocolSupport

/// What shapes one randomized fault run.
public struct FaultFuzzOptions: Sendable {
    /// Nodes in the cluster (real SWIM membership).
    public var nodes: Int
    /// How long faults are injected, with broadcasts throughout.
    public var faultPeriod: Duration
    /// How long the cluster then runs with every fault lifted and every node restarted, before the checks.
    public var quietPeriod: Duration
    /// The mean time between two broadcasts (from random running nodes).
    public var broadcastInterval: Duration

    public init(nodes: Int = 10, faultPeriod: Duration = .seconds(120), quietPeriod: Duration = .seconds(120),
                broadcastInterval: Duration = .milliseconds(500)) {
        self.nodes = nodes
        self.faultPeriod = faultPeriod
        self.quietPeriod = quietPeriod
        self.broadcastInterval = broadcastInterval
    }
}

/// What one fault run did and found.
public struct FaultFuzzResult: Sendable {
    public var seed: UInt64
    /// Each fault as it was injected, with its virtual time.
    public var schedule: [String]
    /// What the checks found wrong; empty when the run passed.
    public var failures: [String]
    public var broadcasts: Int
    /// (broadcast, node) pairs that had to be delivered, and were checked.
    public var checkedDeliveries: Int
    public var wallSeconds: Double
    /// The command that replays this run exactly.
    public var replayCommand: String

    public var passed: Bool { failures.isEmpty }
}

/// Randomized fault runs in the manner of TigerBeetle's VOPR: a seed generates a schedule of crashes,
/// restarts, graceful leaves, partitions (two groups, three, one-way, one node isolated), packet loss and
/// slow nodes, with broadcasts throughout; then every fault is lifted, every stopped node restarted, and
/// after a quiet period the run checks liveness and safety:
/// - membership converged: every running node sees every running node alive;
/// - every broadcast from a node still in its life reached every node that was running since, exactly once;
/// - the overlay is symmetric and connected, and no node breaks its invariants (checked after every input
///   too).
/// The same seed replays the same run, event for event.
public enum FaultFuzz {
    public static func run(seed: UInt64, options: FaultFuzzOptions = FaultFuzzOptions(),
                           inspect: ((Cluster) -> Void)? = nil) -> FaultFuzzResult {
        let started = Date()
        var clusterOptions = ClusterOptions(nodes: options.nodes, seed: seed, membership: .swim, scrapeInterval: nil,
                                            metrics: .lightweight)
        // Repair must still have every message after the longest fault.
        clusterOptions.plumtree.messageCacheTTL = options.faultPeriod + options.quietPeriod + .seconds(60)
        clusterOptions.plumtree.seenTTL = clusterOptions.plumtree.messageCacheTTL + .seconds(120)
        clusterOptions.checkInvariants = true
        let cluster = Cluster(clusterOptions)
        var random = SeededRandom(seed: seed ^ 0xF0_22_5EED)
        var schedule: [String] = []
        var broadcasts: [(key: UInt64, origin: NodeID, at: Instant)] = []
        var lifeStart: [NodeID: Instant] = [:]
        var slow: Set<NodeID> = []

        func log(_ text: String) { schedule.append("t=\(Int(cluster.now.nanoseconds / 1_000_000_000))s \(text)") }
        func pick<T>(_ items: [T]) -> T? { items.isEmpty ? nil : items[Int(random.next(upperBound: UInt64(items.count)))] }
        func stopped() -> [NodeID] { cluster.allNodes.filter { !cluster.runningNodes.contains($0) } }
        func shuffledGroups(_ count: Int) -> [[NodeID]] {
            var groups = Array(repeating: [NodeID](), count: count)
            for node in cluster.allNodes { groups[Int(random.next(upperBound: UInt64(count)))].append(node) }
            return groups.filter { !$0.isEmpty }
        }
        func restart(_ node: NodeID) {
            cluster.restart(node)
            lifeStart[node] = cluster.now
        }

        // Let the cluster form first.
        cluster.run(for: .seconds(10))
        let faultEnd = cluster.now + options.faultPeriod
        let meanGapNanos = UInt64(max(1, options.broadcastInterval.nanosecondsClamped))
        var nextFault = cluster.now + Duration.seconds(Int64(2 + random.next(upperBound: UInt64(8))))
        var nextBroadcast = cluster.now
        func broadcastIfDue(until limit: Instant) {
            while nextBroadcast <= limit {
                cluster.run(until: nextBroadcast)
                if let origin = pick(cluster.runningNodes), let key = cluster.broadcast(from: origin) {
                    broadcasts.append((key, origin, cluster.now))
                }
                nextBroadcast = nextBroadcast + Duration.nanoseconds(Int64(meanGapNanos / 2 + random.next(upperBound: meanGapNanos)))
            }
            cluster.run(until: limit)
        }

        while nextFault < faultEnd {
            broadcastIfDue(until: nextFault)
            let running = cluster.runningNodes
            switch random.next(upperBound: UInt64(100)) {
            case 0..<18 where running.count > 3:
                if let node = pick(running) { cluster.crash(node); log("crash \(node.name)") }
            case 18..<22 where running.count > 3:
                if let node = pick(running) { cluster.leave(node); log("leave \(node.name)") }
            case 22..<38:
                if let node = pick(stopped()) { restart(node); log("restart \(node.name)") }
            case 38..<48:
                let groups = shuffledGroups(2)
                cluster.partition(groups)
                log("partition \(groups.map { $0.map(\.name) })")
            case 48..<53:
                let groups = shuffledGroups(3)
                cluster.partition(groups)
                log("partition \(groups.map { $0.map(\.name) })")
            case 53..<58:
                let groups = shuffledGroups(2)
                cluster.partition(groups, oneWay: true)
                log("one-way partition \(groups.map { $0.map(\.name) })")
            case 58..<62:
                if let node = pick(running) { cluster.isolate(node); log("isolate \(node.name)") }
            case 62..<76:
                cluster.heal()
                log("heal")
            case 76..<84:
                let loss = [0.05, 0.1, 0.2, 0.3][Int(random.next(upperBound: UInt64(4)))]
                cluster.setConditions(LinkConditions(loss: loss))
                log("loss \(loss)")
            case 84..<90:
                cluster.setConditions(.lan)
                log("loss 0")
            case 90..<96:
                if let node = pick(running) {
                    let delay = Duration.milliseconds(Int64(10 + random.next(upperBound: UInt64(190))))
                    cluster.setSlow(node, delay: delay)
                    slow.insert(node)
                    log("slow \(node.name) \(delay)")
                }
            default:
                if let node = pick(slow.sorted()) {
                    cluster.setSlow(node, delay: .zero)
                    slow.remove(node)
                    log("fast \(node.name)")
                }
            }
            nextFault = nextFault + Duration.seconds(Int64(2 + random.next(upperBound: UInt64(11))))
        }
        broadcastIfDue(until: faultEnd)

        // Quiet: every fault lifted, every node running again.
        cluster.heal()
        cluster.setConditions(.lan)
        for node in slow.sorted() { cluster.setSlow(node, delay: .zero) }
        for node in stopped() { restart(node) }
        log("quiet: healed, loss 0, every node fast and running")
        broadcastIfDue(until: cluster.now + options.quietPeriod / 2)
        cluster.run(for: options.quietPeriod / 2)

        inspect?(cluster)
        // Checks.
        var failures: [String] = []
        let running = cluster.runningNodes
        for node in running {
            let alive = Int(cluster.metric("memberlist_members", ["state": "alive"], on: node) ?? 0)
            if alive != running.count { failures.append("membership: \(node.name) sees \(alive) alive of \(running.count)") }
        }
        var checked = 0
        var undelivered = 0
        var example: String?
        for broadcast in broadcasts {
            // Only a broadcast whose origin lived on can be required everywhere.
            guard running.contains(broadcast.origin), (lifeStart[broadcast.origin] ?? .zero) <= broadcast.at else { continue }
            for node in running where node != broadcast.origin && (lifeStart[node] ?? .zero) <= broadcast.at {
                checked += 1
                if !cluster.simulation.recorder.delivered(broadcast.key, at: node) {
                    undelivered += 1
                    if example == nil { example = "broadcast \(broadcast.key) from \(broadcast.origin.name) at \(broadcast.at) never reached \(node.name)" }
                }
            }
        }
        if undelivered > 0 { failures.append("delivery: \(undelivered) of \(checked) required deliveries missing; first: \(example!)") }
        let duplicates = cluster.simulation.recorder.duplicateDeliveries
        if duplicates > 0 { failures.append("delivery: \(duplicates) messages delivered twice within one node's life") }
        let overlay = cluster.overlay()
        let oneSided = Cluster.oneSidedLinks(overlay)
        if !oneSided.isEmpty {
            failures.append("overlay: \(oneSided.count) one-sided links, e.g. \(oneSided[0].0.name) -> \(oneSided[0].1.name)")
        }
        if !Cluster.isConnected(overlay) { failures.append("overlay: not connected") }
        failures += cluster.invariantViolations().map { "invariant: \($0)" }

        return FaultFuzzResult(
            seed: seed, schedule: schedule, failures: failures, broadcasts: broadcasts.count, checkedDeliveries: checked,
            wallSeconds: Date().timeIntervalSince(started),
            replayCommand: "plumtree-sim fuzz --seed \(seed) --nodes \(options.nodes) --fault-seconds \(options.faultPeriod.components.seconds) --quiet-seconds \(options.quietPeriod.components.seconds) --verbose")
    }
}
