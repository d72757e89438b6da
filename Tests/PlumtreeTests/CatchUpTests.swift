import Plumtree
import ProtocolSupport
import Testing

/// After a long partition under load, each side lacks over a thousand of the other's messages. A node that
/// pulls shows that it lags, and the node it pulled from walks it through the rest of its cache at once.
@Suite("Plumtree catching up after a long partition")
struct CatchUpTests {
    @Test func aSideMissingThousandsOfMessagesCatchesUpWithinSeconds() {
        var config = PlumtreeConfig()
        config.messageCacheTTL = .seconds(600)
        let size = 40
        let cluster = SimulatedCluster(size: size, config: config, seed: 21)
        cluster.run(for: .seconds(1))
        let sides = (0..<size).map { $0 % 2 }
        cluster.partition(sides, detection: .seconds(3))
        let ids = cluster.broadcastSeries(count: 1_200, spacing: .milliseconds(50), from: Array(0..<size))
        cluster.heal(detection: .seconds(1))
        var completeAfter: Int?
        for second in 1...120 {
            cluster.run(for: .seconds(1))
            if ids.allSatisfy({ cluster.deliveredExactlyOnceEverywhere($0.0, origin: $0.1) }) {
                completeAfter = second
                break
            }
        }
        let complete = ids.filter { cluster.deliveredExactlyOnceEverywhere($0.0, origin: $0.1) }.count
        print("[plumtree] 40 nodes split for 60 s with 1,200 broadcasts: every node had every message \(completeAfter.map { "\($0) s" } ?? "not within 120 s (\(complete) of 1200 complete)") after healing")
        #expect((completeAfter ?? .max) <= 30)
    }
}
