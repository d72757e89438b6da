import Plumtree
import ProtocolSupport
import Testing

@Suite struct ZZDebug {
    @Test func findBreak() {
        var config = PlumtreeConfig()
        config.treeOptimization = true
        let cluster = SimulatedCluster(size: 60, config: config, seed: 7)
        cluster.run(for: .seconds(1))
        var printed = 0
        for i in 0..<300 {
            let origin = cluster.randomAlive()
            let before = cluster.nodes.map { $0.core.snapshot.eagerPeers.count }
            cluster.log = []
            cluster.broadcast(from: origin)
            cluster.run(for: .milliseconds(100))
            let after = cluster.nodes.map { $0.core.snapshot.eagerPeers.count }
            if let victim = after.indices.first(where: { after[$0] == 0 && before[$0] > 0 }), printed < 2 {
                printed += 1
                print("[dbg] bc \(i) origin \(origin) node \(victim) lost all eager; before \(cluster.nodes[victim].core.snapshot)")
                for line in cluster.log ?? [] where line.contains(" \(victim)->") || line.contains("->\(victim) ") { print("[dbg]   \(line)") }
            }
        }
    }
}
