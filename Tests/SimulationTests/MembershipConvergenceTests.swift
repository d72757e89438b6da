import GossipSimulator
import ProtocolSupport
import Testing

@Suite("Membership convergence with Plumtree traffic")
struct MembershipConvergenceTests {
    /// Eight nodes start at once and join through the first three, with Plumtree's traffic on the same
    /// membership layer. A joined node's alive fact is sent `retransmitLimit` (4 at this size) times per
    /// node that learns it; if those transmissions ride on Plumtree's user messages they go to the same
    /// few neighbours, and one node can stay unknown to another until the next push/pull (up to 30 s).
    /// Sent as memberlist sends them (gossip to random members, probes), a miss is left to chance: 16
    /// starts in 200 (seeds 1-200) since the node core announces the `plumtree` tag in every alive, where
    /// one in five missed while the facts rode on Plumtree's messages.
    @Test func eightNodeClustersConvergeWithinTwoSeconds() {
        var slow: [UInt64] = []
        for seed in UInt64(1)...40 {
            let cluster = Cluster(ClusterOptions(nodes: 8, seed: seed, membership: .swim, scrapeInterval: nil))
            var converged = false
            for _ in 0..<8 where !converged {
                cluster.run(for: .milliseconds(250))
                converged = cluster.allNodes.allSatisfy { cluster.metric("memberlist_members", ["state": "alive"], on: $0) == 8 }
            }
            if !converged { slow.append(seed) }
        }
        print("[membership] 8-node starts not converged within 2 s: \(slow.count) of 40 (seeds \(slow))")
        #expect(slow.count <= 5, "seeds \(slow)")
    }
}
