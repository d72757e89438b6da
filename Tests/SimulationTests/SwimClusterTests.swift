import GossipSimulator
import ProtocolSupport
import Testing

@Suite("Membership and Plumtree together")
struct SwimClusterTests {
    @Test("nodes join through membership and Plumtree delivers over it")
    func joinAndDeliver() throws {
        let cluster = Cluster(ClusterOptions(nodes: 16, seed: 3, membership: .swim, scrapeInterval: nil))
        cluster.run(for: .seconds(10))
        for node in cluster.allNodes {
            #expect(cluster.metric("memberlist_members", ["state": "alive"], on: node) == 16)
            #expect((cluster.metric("plumtree_eager_peers", on: node) ?? 0) >= 1)
        }
        let keys = (0..<10).compactMap { cluster.broadcast(from: NodeID($0)) }
        cluster.run(for: .seconds(5))
        for key in keys { #expect(cluster.deliveredEverywhere(key), "missing \(cluster.missing(key))") }
    }

    @Test("a crash is detected by every node, and nobody else is declared dead")
    func crashDetected() throws {
        let cluster = Cluster(ClusterOptions(nodes: 12, seed: 4, membership: .swim, scrapeInterval: nil))
        cluster.run(for: .seconds(10))
        cluster.crash(NodeID(5))
        cluster.run(for: .seconds(60))
        let m = cluster.measures()
        #expect(m.falseDeaths == 0)
        let full = try #require(m.timeToFullDetection)
        #expect(full > 1 && full < 40, "\(full)")
        for node in cluster.runningNodes {
            #expect(cluster.metric("memberlist_members", ["state": "alive"], on: node) == 11)
        }
    }
}
