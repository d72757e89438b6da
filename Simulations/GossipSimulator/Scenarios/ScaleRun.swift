import Foundation
import Plumtree
import ProtocolSupport

/// A large cluster pushed through a number of broadcasts, measured for wall time and memory: the
/// simulator's own scale figure (`plumtree-sim scale`, `make sim`).
public struct ScaleResult: Sendable {
    public var nodes: Int
    public var broadcasts: Int
    public var membership: MembershipMode
    public var seed: UInt64
    public var measures: RunMeasures
    public var virtualSeconds: Double
    public var wallSeconds: Double
    /// Wall time spent forming the cluster (joins) before the first broadcast.
    public var formationWallSeconds: Double
    public var events: Int
    /// Peak resident set of the process (getrusage ru_maxrss), bytes.
    public var peakResidentBytes: Int
    /// Resident memory the cluster added, divided by its nodes, bytes.
    public var bytesPerNode: Int
}

public enum ScaleRun {
    /// Current resident set in bytes (from /proc/self/statm), 0 where unavailable.
    public static func residentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// Peak resident set so far (getrusage), bytes.
    public static func peakResidentBytes() -> Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return usage.ru_maxrss * 1024
    }

    /// Forms a cluster of `nodes`, sends `broadcasts` at `perSecond` from random nodes, lets them drain,
    /// and measures. Metrics go to the lightweight registry and are not scraped: the figure is the cost of
    /// the protocols and the engine.
    public static func run(nodes: Int, broadcasts: Int, perSecond: Double = 100, seed: UInt64 = 1,
                           membership: MembershipMode = .swim, largeClusterConfig: Bool = false, oracleViewSize: Int? = nil,
                           progress: ((Double) -> Void)? = nil) -> ScaleResult {
        let before = residentBytes()
        let started = Date()
        var plumtree = largeClusterConfig && nodes >= 500 ? PlumtreeConfig.largeCluster : PlumtreeConfig.lan
        plumtree.messageCacheMaxSize = max(plumtree.messageCacheMaxSize, broadcasts * 2)
        var options = ClusterOptions(
            nodes: nodes, seed: seed, membership: membership, plumtree: plumtree, scrapeInterval: nil, payloadSize: 128,
            metrics: .lightweight)
        options.oracleViewSize = oracleViewSize
        let cluster = Cluster(options)
        // Forming: joins and the first push/pulls settle within a few probe rounds.
        let formation = Duration.seconds(membership == .swim ? 20 : 2)
        cluster.run(for: formation)
        let formed = Date()
        let afterForming = residentBytes()
        var random = SeededRandom(seed: seed ^ 0xB10AD)
        let step = Duration.seconds(1 / perSecond)
        let sending = Duration.seconds(Double(broadcasts) / perSecond)
        var sent = 0
        while sent < broadcasts {
            let origin = NodeID(Int(random.next() % UInt64(nodes)))
            cluster.broadcast(from: origin)
            sent += 1
            cluster.run(for: step)
            if sent % 50 == 0 { progress?(Double(sent) / Double(broadcasts)) }
        }
        cluster.run(for: .seconds(10))
        let wall = Date().timeIntervalSince(started)
        return ScaleResult(
            nodes: nodes, broadcasts: broadcasts, membership: membership, seed: seed, measures: cluster.measures(),
            virtualSeconds: (formation + sending + .seconds(10)).seconds, wallSeconds: wall,
            formationWallSeconds: formed.timeIntervalSince(started), events: cluster.simulation.eventsProcessed,
            peakResidentBytes: peakResidentBytes(), bytesPerNode: max(0, afterForming - before) / max(1, nodes))
    }
}
