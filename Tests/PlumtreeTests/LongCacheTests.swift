import Plumtree
import ProtocolSupport
import Testing

/// A message cache kept longer than the seen-set's own TTL (as partition-tolerant set-ups do), and a partition
/// nearly as long as the cache: anti-entropy must not bring a message back to a node that has forgotten
/// delivering it. Two things keep it from doing so: the seen-set outlives the cache TTL whatever it was
/// configured to, and a copy repaired across the healed partition is offered only until the message's first
/// copies expire, not for a whole TTL from its own late arrival.
@Suite("Plumtree with a long message cache")
struct LongCacheTests {
    @Test func aCacheOutlivingTheSeenTTLNeverDeliversTwice() {
        var config = PlumtreeConfig()
        config.messageCacheTTL = .seconds(120)
        config.seenTTL = .seconds(60)
        let size = 30
        let cluster = SimulatedCluster(size: size, config: config, seed: 41)
        cluster.run(for: .seconds(1))
        let sides = (0..<size).map { $0 % 2 }
        cluster.partition(sides, detection: .seconds(3))
        let ids = cluster.broadcastSeries(count: 200, spacing: .milliseconds(500), from: Array(0..<size))
        cluster.heal(detection: .seconds(1))
        // Past every copy's cache TTL, and past the seen TTL the configuration asked for. The first messages
        // reach the other side 100 s after they were broadcast: cached there for a full TTL from then, they
        // would be offered back to their own side after its seen-sets (cache TTL + 60 s) let them go.
        var completeAfter: Int?
        for second in 1...300 {
            cluster.run(for: .seconds(1))
            if completeAfter == nil, ids.allSatisfy({ cluster.deliveredExactlyOnceEverywhere($0.0, origin: $0.1) }) {
                completeAfter = second
            }
        }
        let twice = ids.reduce(0) { total, entry in total + (cluster.deliveries[entry.0] ?? [:]).values.filter { $0 > 1 }.count }
        let missing = ids.reduce(0) { total, entry in
            total + (0..<size).filter { $0 != entry.1 && (cluster.deliveries[entry.0]?[$0] ?? 0) == 0 }.count
        }
        print("[plumtree] cache TTL 120 s, seen TTL 60 s, 200 broadcasts during a 100 s partition: complete \(completeAfter.map { "\($0) s" } ?? "never") after healing; delivered twice \(twice), missing \(missing) after 300 s")
        #expect(twice == 0, "deliveries repeated after the seen-set forgot them")
        #expect(missing == 0)
    }
}
