import Plumtree
import ProtocolSupport
import Testing

/// Broadcasts from random origins, one every 10 to 100 ms (uniform), so that the next broadcast often
/// starts before the last has reached everyone (about 50 ms over links of 1 to 10 ms).
private func overlappingSeries(_ cluster: SimulatedCluster, count: Int, seed: UInt64) -> [(MessageID, Int)] {
    var random = SeededRandom(seed: seed)
    var ids: [(MessageID, Int)] = []
    for _ in 0..<count {
        let origin = cluster.randomAlive()
        ids.append((cluster.broadcast(from: origin), origin))
        cluster.run(for: .milliseconds(10 + Int64(random.next() % 91)))
    }
    return ids
}

private func meanRMR(_ cluster: SimulatedCluster, _ ids: some Collection<(MessageID, Int)>) -> Double {
    ids.map { cluster.rmr($0.0) }.reduce(0, +) / Double(ids.count)
}

/// Watches every Prune a run sends and asks whether it split the eager graph (links both ends hold as
/// eager): whether the pruned link was a bridge, and if so whether it was one only because another link
/// had been pruned in the previous 60 ms (about one dissemination, so for a different message in flight).
private final class PruneWatcher {
    private(set) var prunes = 0
    private(set) var splits = 0
    private(set) var splitsByARace = 0
    private var eager: [Set<Int>]
    private var recent: [(a: Int, b: Int, at: Instant)] = []

    init(_ cluster: SimulatedCluster) {
        eager = Array(repeating: [], count: cluster.nodes.count)
        cluster.afterCall = { [unowned self, unowned cluster] index in
            self.eager[index] = Set(cluster.nodes[index].core.snapshot.eagerPeers.compactMap(cluster.index(of:)))
        }
        cluster.onSend = { [unowned self, unowned cluster] from, to, bytes in
            let header = 3 + Int(bytes[2])
            guard bytes[header] == 4 else { return }
            self.eager[from] = Set(cluster.nodes[from].core.snapshot.eagerPeers.compactMap(cluster.index(of:)))
            self.record(from, to, now: cluster.now)
        }
    }

    private func record(_ a: Int, _ b: Int, now: Instant) {
        prunes += 1
        recent.removeAll { now.duration(since: $0.at) > .milliseconds(60) }
        if !connected(a, b, restoring: []) {
            splits += 1
            if !recent.isEmpty, connected(a, b, restoring: recent.map { ($0.a, $0.b) }) { splitsByARace += 1 }
        }
        recent.append((a, b, now))
    }

    /// Whether a reaches b over mutual eager links other than a-b itself, plus `restoring`.
    private func connected(_ a: Int, _ b: Int, restoring: [(Int, Int)]) -> Bool {
        var seen: Set<Int> = [a]
        var stack = [a]
        while let x = stack.popLast() {
            var next = eager[x].filter { eager[$0].contains(x) }
            for (p, q) in restoring {
                if p == x { next.insert(q) }
                if q == x { next.insert(p) }
            }
            for y in next where !seen.contains(y) && !((x == a && y == b) || (x == b && y == a)) {
                if y == b { return true }
                seen.insert(y)
                stack.append(y)
            }
        }
        return false
    }
}

@Suite("Plumtree with broadcasts overlapping in flight")
struct OverlappingBroadcastTests {
    /// 1,000 broadcasts from random origins 10-100 ms apart over 100 nodes: every node delivers every
    /// message exactly once, and once the tree has formed (after 100 broadcasts) the redundancy stays
    /// low: the tree survives broadcasts crossing each other.
    @Test func overlappingBroadcastsKeepTheTree() {
        let cluster = SimulatedCluster(size: 100, config: PlumtreeConfig(), seed: 7)
        cluster.run(for: .seconds(1))
        let ids = overlappingSeries(cluster, count: 1_000, seed: 8)
        cluster.run(for: .seconds(10))

        let undelivered = ids.filter { !cluster.deliveredExactlyOnceEverywhere($0.0, origin: $0.1) }
        #expect(undelivered.isEmpty, "\(undelivered.count) broadcasts not delivered exactly once everywhere")
        let warm = ids.dropFirst(100)
        let rmr = meanRMR(cluster, warm)
        let grafts = cluster.graftsFor.values.reduce(0, +)
        let prunes = cluster.sentByType[4] ?? 0
        print("[plumtree] overlapping n=100 broadcasts=1000 (10-100 ms apart): RMR after warm-up=\(rmr) grafts for payloads=\(grafts) prunes=\(prunes)")
        // The stable test's bound is 0.05 at one broadcast per 300 ms; here a split now and then still
        // costs some Grafts and a few broadcasts' worth of duplicates while the tree settles again.
        #expect(rmr < 0.1)
    }

    /// The cause, measured: with the paper's rule (a duplicate prunes at once) prunes decided on different
    /// messages in flight split the shared eager graph again and again; the settled prunes split it far
    /// less often, and the redundancy of the same run drops. (Before Graft answers were marked repair,
    /// most of those splits followed another message's prune within 60 ms; the share is printed.)
    @Test func prunesForDifferentMessagesInFlightSplitTheTree() {
        func run(paper: Bool) -> (rmr: Double, prunes: Int, splits: Int, byRace: Int) {
            var config = PlumtreeConfig()
            if paper { config.pruneSettleDelay = .zero }
            let cluster = SimulatedCluster(size: 100, config: config, seed: 7)
            let watcher = PruneWatcher(cluster)
            cluster.run(for: .seconds(1))
            let ids = overlappingSeries(cluster, count: 250, seed: 8)
            cluster.run(for: .seconds(10))
            #expect(ids.allSatisfy { cluster.deliveredExactlyOnceEverywhere($0.0, origin: $0.1) })
            return (meanRMR(cluster, ids.dropFirst(100)), watcher.prunes, watcher.splits, watcher.splitsByARace)
        }
        let paper = run(paper: true)
        let settled = run(paper: false)
        print("[plumtree] overlapping, 250 broadcasts: paper's rules RMR=\(paper.rmr), prunes \(paper.prunes), splitting \(paper.splits), of which by a race \(paper.byRace) | settled prunes RMR=\(settled.rmr), prunes \(settled.prunes), splitting \(settled.splits), of which by a race \(settled.byRace)")
        #expect(settled.splits * 5 < paper.splits)
        #expect(settled.rmr < paper.rmr / 3)
    }
}
