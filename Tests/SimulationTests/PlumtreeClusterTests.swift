import GossipSimulator
import Plumtree
import ProtocolSupport
import Testing

@Suite("Plumtree over the simulated network")
struct PlumtreeClusterTests {
    static func run(pruning: Bool, seed: UInt64 = 11) -> RunMeasures {
        var config = PlumtreeConfig.lan
        config.pruning = pruning
        let cluster = Cluster(ClusterOptions(nodes: 30, seed: seed, membership: .oracle, plumtree: config, scrapeInterval: nil))
        cluster.run(for: .seconds(2))
        for i in 0..<40 {
            cluster.at(.seconds(2) + .milliseconds(100 * i)) { $0.broadcast(from: NodeID(i % 30)) }
        }
        cluster.run(for: .seconds(20))
        return cluster.measures()
    }

    @Test("every broadcast reaches every node, with less redundancy than flooding")
    func deliversWithLowRedundancy() {
        let plumtree = Self.run(pruning: true)
        let flood = Self.run(pruning: false)
        #expect(plumtree.messages == 40)
        #expect(plumtree.reliability == 1)
        #expect(flood.reliability == 1)
        #expect(plumtree.rmr < flood.rmr / 2, "plumtree \(plumtree.rmr) flood \(flood.rmr)")
        #expect(plumtree.ldh >= 2)
        #expect(plumtree.latencyP99 < 2)
    }

    @Test("a partition delays delivery; healing delivers everything broadcast meanwhile")
    func partitionThenHeal() {
        let cluster = Cluster(ClusterOptions(nodes: 20, seed: 5, membership: .oracle, scrapeInterval: nil))
        cluster.run(for: .seconds(2))
        cluster.partition([cluster.nodes(0..<10), cluster.nodes(10..<20)])
        let keys = (0..<5).compactMap { cluster.broadcast(from: NodeID($0)) }
        cluster.run(for: .seconds(5))
        #expect(keys.count == 5)
        for key in keys { #expect(cluster.missing(key).count >= 10) }
        cluster.heal()
        cluster.run(for: .seconds(30))
        for key in keys { #expect(cluster.deliveredEverywhere(key), "missing \(cluster.missing(key))") }
        #expect(cluster.measures().timeToHeal != nil)
    }
}
