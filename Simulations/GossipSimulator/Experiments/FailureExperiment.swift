import Plumtree
import ProtocolSupport

/// One broadcast after the crash.
public struct FailureBroadcast: Sendable {
    public var secondsAfterCrash: Double
    /// The share of the survivors (the origin aside) that delivered it, however late (Grafts and
    /// anti-entropy included).
    public var reliability: Double
    /// The share that delivered it within ``FailureExperiment/onTime`` of its sending: along the tree, before
    /// repair by Graft had to step in for most of them.
    public var onTimeReliability: Double
}

/// What became of the broadcasts that followed one mass failure (``FailureExperiment``).
public struct FailureRun: Sendable {
    /// "plumtree", or "flood" (the same overlay with pruning off: every node pushes every payload to every
    /// neighbour, the paper's baseline).
    public var protocolName: String
    public var nodes: Int
    /// The share of nodes crashed at once, 0...1.
    public var share: Double
    public var crashed: Int
    /// Every broadcast after the crash, in order.
    public var broadcasts: [FailureBroadcast]
    /// Seconds after the crash of the first broadcast from which every later one reached every survivor;
    /// nil when the run ended before that.
    public var secondsToFullReliability: Double?
    /// Over the last broadcasts of the run, once the tree has been repaired: redundant payloads per
    /// delivery (the paper's RMR) and the mean of each broadcast's longest path (LDH).
    public var rmrAfterRepair: Double
    public var ldhAfterRepair: Double

    /// The reliability of the first broadcast after the crash.
    public var firstReliability: Double { broadcasts.first?.reliability ?? 1 }
    /// The on-time reliability of the first broadcast after the crash.
    public var firstOnTime: Double { broadcasts.first?.onTimeReliability ?? 1 }
    /// The mean on-time reliability of the broadcasts sent in the first `seconds` after the crash.
    public func meanOnTime(within seconds: Double) -> Double {
        let early = broadcasts.filter { $0.secondsAfterCrash < seconds }
        return early.isEmpty ? 1 : early.map(\.onTimeReliability).reduce(0, +) / Double(early.count)
    }
}

/// The Plumtree paper's failure experiment (Leitão et al., section 5.3): a share of the nodes crashes at
/// once, and the broadcasts that follow are measured for reliability until the tree has repaired itself,
/// then for RMR and LDH. Membership is the oracle (told of each crash after ``detectionDelay``), so that
/// Plumtree's repair is measured alone; the same run with pruning off is the flood baseline.
public enum FailureExperiment {
    public static let detectionDelay: Duration = .seconds(5)
    /// A delivery this soon after the broadcast counts as on time: the tree's own latency at these sizes is
    /// well under it, and a Graft (after its 500 ms timeout) plus its answer usually is not.
    public static let onTime: Duration = .milliseconds(500)

    /// One run: `nodes` form and carry 30 broadcasts, `share` of them crash at once, then `after`
    /// broadcasts go out from random survivors `interval` apart; the last 20 of them give RMR and LDH.
    public static func run(nodes: Int, share: Double, seed: UInt64, flood: Bool = false, view: Int? = nil,
                           after: Int = 60, interval: Duration = .milliseconds(250)) -> FailureRun {
        var plumtree = nodes >= 500 ? PlumtreeConfig.largeCluster : PlumtreeConfig.lan
        plumtree.pruning = !flood
        plumtree.messageCacheMaxSize = max(plumtree.messageCacheMaxSize, 4 * (30 + after))
        var options = ClusterOptions(nodes: nodes, seed: seed, membership: .oracle, plumtree: plumtree,
                                     oracleDetectionDelay: detectionDelay, scrapeInterval: nil, payloadSize: 64,
                                     metrics: .lightweight)
        options.oracleViewSize = view
        let cluster = Cluster(options)
        var random = SeededRandom(seed: seed ^ 0xFA11_0E5)
        cluster.run(for: .seconds(2))
        for _ in 0..<30 {
            cluster.broadcast(from: NodeID(Int(random.next() % UInt64(nodes))))
            cluster.run(for: .milliseconds(100))
        }
        cluster.run(for: .seconds(5))

        // The crash: a random `share` of the nodes, all at once.
        var order = Array(0..<nodes)
        for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, Int(random.next() % UInt64(i + 1))) }
        let crashedCount = min(nodes - 2, Int((share * Double(nodes)).rounded()))
        let crashed = order.prefix(crashedCount).map(NodeID.init)
        for node in crashed { cluster.crash(node) }
        let crashAt = cluster.now
        let survivors = cluster.runningNodes
        // Deliveries within `onTime` of their broadcast, by key; the payload is not kept.
        var sentAt: [UInt64: Instant] = [:]
        var onTimeCount: [UInt64: Int] = [:]
        cluster.onDelivery = { delivery in
            if let at = sentAt[delivery.key], delivery.time.duration(since: at) <= onTime { onTimeCount[delivery.key, default: 0] += 1 }
        }

        var sent: [(key: UInt64, at: Double, origin: NodeID)] = []
        var delivered = 0.0, duplicates = 0.0
        for index in 0..<after {
            if index == after - 20 {
                delivered = cluster.simulation.clusterTotal("plumtree_messages_delivered_total")
                duplicates = cluster.simulation.clusterTotal("plumtree_messages_duplicate_total")
            }
            let origin = survivors[Int(random.next() % UInt64(survivors.count))]
            if let key = cluster.broadcast(from: origin) {
                sentAt[key] = cluster.now
                sent.append((key, cluster.now.duration(since: crashAt).seconds, origin))
            }
            cluster.run(for: interval)
        }
        cluster.run(for: .seconds(15))
        let deliveredWindow = cluster.simulation.clusterTotal("plumtree_messages_delivered_total") - delivered
        let duplicatesWindow = cluster.simulation.clusterTotal("plumtree_messages_duplicate_total") - duplicates

        let recorder = cluster.simulation.recorder
        var broadcasts: [FailureBroadcast] = []
        let others = Double(max(1, survivors.count - 1))
        for (key, at, origin) in sent {
            var got = 0
            for node in survivors where node != origin && recorder.delivered(key, at: node) { got += 1 }
            broadcasts.append(FailureBroadcast(secondsAfterCrash: at, reliability: Double(got) / others,
                                               onTimeReliability: Double(onTimeCount[key] ?? 0) / others))
        }
        // Full reliability again: on time, at every survivor, for this broadcast and every later one.
        var fullFrom: Double?
        for broadcast in broadcasts.reversed() {
            guard broadcast.onTimeReliability >= 1, broadcast.reliability >= 1 else { break }
            fullFrom = broadcast.secondsAfterCrash
        }
        let window = sent.suffix(20)
        let ldh = window.isEmpty ? 0 : Double(window.map { recorder.maxHops(of: $0.key) }.reduce(0, +)) / Double(window.count)
        return FailureRun(
            protocolName: flood ? "flood" : "plumtree", nodes: nodes, share: share, crashed: crashedCount,
            broadcasts: broadcasts, secondsToFullReliability: fullFrom,
            rmrAfterRepair: deliveredWindow > 0 ? duplicatesWindow / deliveredWindow : 0, ldhAfterRepair: ldh)
    }
}
