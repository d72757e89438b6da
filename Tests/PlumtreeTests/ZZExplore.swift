import Plumtree
import ProtocolSupport
import Testing

@Suite struct ZZExplore {
    @Test(arguments: [true, false]) func explore(_ optimize: Bool) {
        var config = PlumtreeConfig()
        config.treeOptimization = optimize
        let cluster = SimulatedCluster(size: 60, config: config, seed: 7)
        cluster.run(for: .seconds(1))
        var ids: [(MessageID, Int)] = []
        for _ in 0..<300 {
            let origin = cluster.randomAlive()
            ids.append((cluster.broadcast(from: origin), origin))
            cluster.run(for: .milliseconds(Int64(ProcessInfoSpacing.value)))
        }
        cluster.run(for: .seconds(5))
        let warm = ids.dropFirst(100)
        let rmr = warm.map { cluster.rmr($0.0) }.reduce(0, +) / Double(warm.count)
        let ldh = Double(warm.map { cluster.lastDeliveryHop[$0.0] ?? 0 }.reduce(0, +)) / Double(warm.count)
        let idGrafts = cluster.graftsFor.values.reduce(0, +)
        let eager = cluster.nodes.map { $0.core.snapshot.eagerPeers.count }.reduce(0, +)
        let lazy = cluster.nodes.map { $0.core.snapshot.lazyPeers.count }.reduce(0, +)
        let ok = ids.filter { cluster.deliveredExactlyOnceEverywhere($0.0, origin: $0.1) }.count
        print("[explore] opt=\(optimize) ok=\(ok) RMR=\(rmr) LDH=\(ldh) sent=\(cluster.sentByType.sorted { $0.key < $1.key }) idGrafts=\(idGrafts) eager=\(eager) lazy=\(lazy)")
        var asym = 0
        var reach: [Int] = []
        let eagerOf = cluster.nodes.map { Set($0.core.snapshot.eagerPeers.compactMap { cluster.index(of: $0) }) }
        let lazyOf = cluster.nodes.map { Set($0.core.snapshot.lazyPeers.compactMap { cluster.index(of: $0) }) }
        for a in 0..<eagerOf.count { for b in eagerOf[a] where !eagerOf[b].contains(a) { asym += 1; if lazyOf[b].contains(a) { asym += 1000 } } }
        for start in 0..<5 {
            var seen: Set<Int> = [start]; var frontier = [start]
            while let x = frontier.popLast() { for y in eagerOf[x] where seen.insert(y).inserted { frontier.append(y) } }
            reach.append(seen.count)
        }
        print("[explore] asym=\(asym) reach=\(reach)")
        let perMsg = ids.suffix(20).map { cluster.graftsFor[$0.0] ?? 0 }
        print("[explore] grafts per late msg \(perMsg)")
        let late = ids.suffix(50)
        print("[explore] late RMR", late.map { cluster.rmr($0.0) }.reduce(0, +) / 50)
    }
}
import Foundation
enum ProcessInfoSpacing { static var value: Int { Int(ProcessInfo.processInfo.environment["SPACING"] ?? "10") ?? 10 } }
