import Plumtree
import ProtocolSupport
import Testing

/// Nodes crash and come back all the time while broadcasts flow: the overlay must stay symmetric and
/// connected, and every node must deliver, exactly once, every broadcast made while it was known.
@Suite("Plumtree under churn")
struct ChurnTests {
    @Test func theOverlayStaysConnectedAndEveryKnownNodeDeliversThroughChurn() {
        let seed: UInt64 = 3
        let size = 100
        let detection = Duration.seconds(1)
        let cluster = SimulatedCluster(size: size, config: .lan, seed: seed)
        var random = SeededRandom(seed: seed ^ 0xC4_52)
        cluster.run(for: .seconds(2))

        // 60 s of churn: every 2 s two running nodes crash and two that have been down long enough for
        // everyone to notice start again, about 2% of the cluster replaced every 2 s; a broadcast every
        // 100 ms from a random running node.
        var downSince: [Int: Instant] = [:]
        var broadcasts: [(id: MessageID, origin: Int, at: Instant)] = []
        var crashes = 0, restarts = 0
        for tick in 0..<600 {
            if tick % 20 == 0 {
                let settled = cluster.aliveIndices.filter { cluster.now.duration(since: cluster.startedAt[$0]) >= detection * 2 }
                var victims: [Int] = []
                while victims.count < 2, victims.count < settled.count {
                    let pick = settled[Int(random.next() % UInt64(settled.count))]
                    if !victims.contains(pick) { victims.append(pick) }
                }
                cluster.crash(victims, detection: detection)
                for victim in victims { downSince[victim] = cluster.now }
                crashes += victims.count
                let ready = downSince.filter { cluster.now.duration(since: $0.value) >= detection * 2 }.keys.sorted()
                for index in ready.prefix(2) {
                    cluster.restart(index, detection: detection)
                    downSince[index] = nil
                    restarts += 1
                }
            }
            let origin = cluster.randomAlive()
            broadcasts.append((cluster.broadcast(from: origin), origin, cluster.now))
            cluster.run(for: .milliseconds(100))
        }
        cluster.run(for: .seconds(15))

        // Eligible for a broadcast: running from before it was made (known to the others, which takes
        // `detection` after a start) until the end, and not its origin.
        var missed = 0, duplicated = 0
        for broadcast in broadcasts {
            let counts = cluster.deliveries[broadcast.id] ?? [:]
            for index in cluster.aliveIndices where index != broadcast.origin {
                guard broadcast.at.duration(since: cluster.startedAt[index]) >= detection else { continue }
                switch counts[index] ?? 0 {
                case 0: missed += 1
                case 1: break
                default: duplicated += 1
                }
            }
        }
        print("[plumtree] churn, 100 nodes, seed \(seed): \(crashes) crashes, \(restarts) restarts, \(broadcasts.count) broadcasts; missed \(missed), duplicated \(duplicated)")
        #expect(crashes == 60 && restarts >= 56)
        #expect(missed == 0, "deliveries missing at nodes that were known when the broadcast was made")
        #expect(duplicated == 0)

        let overlay = cluster.overlay()
        #expect(SimulatedCluster.oneSidedLinks(overlay) == 0, "links held by one end only, or to a crashed node")
        #expect(overlay.values.allSatisfy { $0.count >= 9 && $0.count <= 12 }, "degrees \(Set(overlay.values.map(\.count)).sorted())")
        #expect(SimulatedCluster.isConnected(overlay), "overlay connected")
    }
}
