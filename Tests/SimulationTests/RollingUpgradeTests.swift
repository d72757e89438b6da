import GossipSimulator
import ProtocolSupport
import Testing

/// A rolling upgrade from Plumtree version 1 to version 2 with the real membership and Plumtree cores:
/// every node restarted in turn speaking 1-2, then again speaking 2 alone. Broadcasts go on all along, and
/// every one of them reaches every node that was up while it spread. Skipping the middle step splits the
/// cluster: that run is the control, showing the check would catch a negotiation that did not work.
@Suite("Rolling upgrade of the Plumtree version")
struct RollingUpgradeTests {
    struct Outcome {
        var broadcasts = 0
        /// Broadcasts some node that was up throughout their spreading never delivered, with those nodes.
        var lost: [(key: UInt64, nodes: [NodeID])] = []
        var refusedForVersion = 0.0
        var incompatibleSeen = 0.0
    }

    static func versions(_ range: ClosedRange<UInt8>) -> PlumtreeConfig {
        var config = PlumtreeConfig.lan
        config.protocolVersions = range
        return config
    }

    /// Runs the upgrade through `steps` (each a version range every node is restarted with, one by one).
    static func upgrade(through steps: [ClosedRange<UInt8>], nodes count: Int = 8, seed: UInt64) -> Outcome {
        let options = ClusterOptions(nodes: count, seed: seed, membership: .swim, plumtree: versions(1...1), scrapeInterval: nil)
        let cluster = Cluster(options)
        var delivered = Set<String>()
        cluster.onDelivery = { delivered.insert("\($0.key)/\($0.node.index)") }
        cluster.run(for: .seconds(20))

        // Which node is down when, so that each broadcast is expected only where a node was up throughout.
        var downIntervals: [(node: NodeID, from: Instant, to: Instant)] = []
        var sent: [(key: UInt64, at: Instant, origin: NodeID)] = []
        var outcome = Outcome()
        var origin = 0
        func broadcastAndRun(_ duration: Duration) {
            // One broadcast a second from a running node, while the cluster runs.
            var left = duration
            while left > .zero {
                let running = cluster.runningNodes
                origin = (origin + 1) % running.count
                if let key = cluster.broadcast(from: running[origin]) { sent.append((key, cluster.now, running[origin])) }
                let step = min(left, .seconds(1))
                cluster.run(for: step)
                left -= step
            }
        }
        for versions in steps {
            for node in cluster.allNodes {
                let from = cluster.now
                cluster.leave(node)
                broadcastAndRun(.seconds(3))
                cluster.restart(node, plumtree: Self.versions(versions))
                // The restarted node is not expected to deliver what was sent before it was back in the tree.
                broadcastAndRun(.seconds(2))
                downIntervals.append((node, from, cluster.now))
                broadcastAndRun(.seconds(6))
                for member in cluster.runningNodes {
                    outcome.incompatibleSeen += cluster.metric("plumtree_incompatible_members", on: member) ?? 0
                }
            }
        }
        broadcastAndRun(.seconds(10))
        cluster.run(for: .seconds(30))

        let spread = Duration.seconds(10)
        outcome.broadcasts = sent.count
        for (key, at, from) in sent where at + spread <= cluster.now {
            let expected = cluster.allNodes.filter { node in
                node != from && !downIntervals.contains { $0.node == node && $0.from < at + spread && $0.to > at }
            }
            let missing = expected.filter { !delivered.contains("\(key)/\($0.index)") }
            if !missing.isEmpty { outcome.lost.append((key, missing)) }
        }
        for node in cluster.runningNodes {
            outcome.refusedForVersion += cluster.metric("plumtree_messages_refused_total", ["reason": "unsupported_version"], on: node) ?? 0
        }
        return outcome
    }

    @Test("1 → 1-2 → 2, one node at a time: every broadcast arrives, no message is refused for its version")
    func widenThenNarrow() {
        let outcome = Self.upgrade(through: [1...2, 2...2], seed: 5)
        #expect(outcome.broadcasts > 150)
        #expect(outcome.lost.isEmpty, "lost: \(outcome.lost.prefix(5).map { "\($0.key) at \($0.nodes)" })")
        #expect(outcome.refusedForVersion == 0)
        #expect(outcome.incompatibleSeen == 0)
    }

    @Test("1 → 2 directly (the middle step skipped): the two versions cannot talk, and every node says so")
    func skippingTheMiddleStepSplitsTheCluster() {
        let outcome = Self.upgrade(through: [2...2], seed: 5)
        #expect(!outcome.lost.isEmpty, "a cluster split by versions should lose broadcasts across the split")
        #expect(outcome.incompatibleSeen > 0, "nodes should report members they cannot speak with")
    }
}
