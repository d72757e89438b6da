import Plumtree
import ProtocolSupport
import Testing

@Suite("Plumtree in a stable 100-node cluster")
struct StableClusterTests {
    /// 1,000 broadcasts from random origins reach every node exactly once; once the tree has formed the
    /// redundancy is below 0.05, and the last delivery hop is reported next to flooding's in the same run.
    @Test func everyNodeDeliversEveryMessageOnceWithLowRedundancy() {
        let cluster = SimulatedCluster(size: 100, config: PlumtreeConfig(), seed: 7)
        cluster.run(for: .seconds(1))
        let ids = cluster.broadcastSeries(count: 1_000, spacing: .milliseconds(300))
        cluster.run(for: .seconds(10))

        let undelivered = ids.filter { !cluster.deliveredExactlyOnceEverywhere($0.0, origin: $0.1) }
        #expect(undelivered.isEmpty, "\(undelivered.count) broadcasts not delivered exactly once everywhere")

        let warm = ids.dropFirst(100)
        let rmr = warm.map { cluster.rmr($0.0) }.reduce(0, +) / Double(warm.count)
        let ldh = Double(warm.map { cluster.lastDeliveryHop[$0.0] ?? 0 }.reduce(0, +)) / Double(warm.count)
        let grafts = cluster.nodes.map { $0.core.snapshot.graftsSent }.reduce(0, +)

        var flood = PlumtreeConfig()
        flood.pruning = false
        let baseline = SimulatedCluster(size: 100, config: flood, seed: 7)
        baseline.run(for: .seconds(1))
        var floodIDs: [(MessageID, Int)] = []
        for _ in 0..<100 {
            let origin = baseline.randomAlive()
            floodIDs.append((baseline.broadcast(from: origin), origin))
            baseline.run(for: .milliseconds(10))
        }
        baseline.run(for: .seconds(5))
        #expect(floodIDs.allSatisfy { baseline.deliveredExactlyOnceEverywhere($0.0, origin: $0.1) })
        let floodRMR = floodIDs.map { baseline.rmr($0.0) }.reduce(0, +) / Double(floodIDs.count)
        let floodLDH = Double(floodIDs.map { baseline.lastDeliveryHop[$0.0] ?? 0 }.reduce(0, +)) / Double(floodIDs.count)

        print("[plumtree] stable n=100 broadcasts=1000: RMR=\(rmr) LDH=\(ldh) grafts=\(grafts) (for payloads \(cluster.graftsFor.values.reduce(0, +))) prunes=\(cluster.sentByType[4] ?? 0) | flood baseline: RMR=\(floodRMR) LDH=\(floodLDH)")
        #expect(rmr < 0.05)
        #expect(floodRMR > 1, "flooding must be far more redundant than the tree")
    }
}
