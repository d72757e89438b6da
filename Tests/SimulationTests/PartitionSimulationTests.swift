import GossipSimulator
import ProtocolSupport
import Testing

/// Partition simulations with the real membership and Plumtree cores, written the way a package user
/// would write them in their own tests.
@Suite("Partition simulations")
struct PartitionSimulationTests {
    @Test("a 50/50 partition heals: membership reconverges and every broadcast made meanwhile arrives")
    func halvesHeal() throws {
        var options = ClusterOptions(nodes: 10, seed: 21, membership: .swim, scrapeInterval: nil)
        // The cache must outlive the partition for the repair to have the messages to send.
        options.plumtree.messageCacheTTL = .seconds(300)
        let cluster = Cluster(options)
        cluster.run(for: .seconds(10))
        let left = cluster.nodes(0..<5), right = cluster.nodes(5..<10)
        cluster.partition([left, right])
        cluster.run(for: .seconds(5))
        let during = [NodeID(0), NodeID(7)].compactMap { cluster.broadcast(from: $0) }
        cluster.run(for: .seconds(55))
        // Each side sees the other gone, and Plumtree still serves its own side.
        for node in left { #expect(cluster.metric("memberlist_members", ["state": "alive"], on: node) == 5) }
        #expect(cluster.missing(during[0]).allSatisfy { right.contains($0) })
        cluster.heal()
        cluster.run(for: .seconds(90))
        for key in during { #expect(cluster.deliveredEverywhere(key), "missing \(cluster.missing(key))") }
        for node in cluster.allNodes { #expect(cluster.metric("memberlist_members", ["state": "alive"], on: node) == 10) }
        let measures = cluster.measures()
        #expect(measures.falseDeaths == 0)
        #expect(measures.timeToHeal != nil)
    }

    @Test("a 3/3 split longer than failure detection plus reaping heals by itself; without reconnect it stays split")
    func longSplitHealsThroughReconnect() {
        func run(reconnect: Bool) -> (aliveAfterHeal: [Double], healedWithin: Duration?) {
            var options = ClusterOptions(nodes: 6, seed: 13, membership: .swim, scrapeInterval: nil)
            if !reconnect { options.reconnectTimeout = .zero }
            let cluster = Cluster(options)
            cluster.run(for: .seconds(10))
            cluster.partition([cluster.nodes(0..<3), cluster.nodes(3..<6)])
            // Failure detection takes seconds, reaping gossipToTheDeadTime (30 s) more: both are long over.
            cluster.run(for: .seconds(90))
            for node in cluster.allNodes { #expect(cluster.metric("memberlist_members", ["state": "alive"], on: node) == 3) }
            cluster.heal()
            var healedWithin: Duration?
            for second in 1...60 {
                cluster.run(for: .seconds(1))
                let alive = cluster.allNodes.map { cluster.metric("memberlist_members", ["state": "alive"], on: $0) ?? 0 }
                if alive.allSatisfy({ $0 == 6 }) { healedWithin = .seconds(second); break }
            }
            return (cluster.allNodes.map { cluster.metric("memberlist_members", ["state": "alive"], on: $0) ?? 0 }, healedWithin)
        }
        let healed = run(reconnect: true)
        #expect(healed.aliveAfterHeal.allSatisfy { $0 == 6 })
        // serf heals the same split of real processes in 17 s; the node's first retries come 2 s after a
        // failure and back off to 30 s, so the healed side finds the other well within that.
        #expect(healed.healedWithin.map { $0 <= .seconds(17) } == true, "healed within \(String(describing: healed.healedWithin))")
        let split = run(reconnect: false)
        #expect(split.healedWithin == nil)
        #expect(split.aliveAfterHeal.allSatisfy { $0 == 3 })
    }

    @Test("a node cut off too briefly to be declared dead gets what was broadcast meanwhile, soon after")
    func briefIsolationIsCaughtUp() {
        var options = ClusterOptions(nodes: 10, seed: 3, membership: .swim, scrapeInterval: nil)
        options.plumtree.messageCacheTTL = .seconds(300)
        let cluster = Cluster(options)
        cluster.run(for: .seconds(10))
        // A minute of steady traffic: the cache holds ten digests' worth, and anti-entropy, finding
        // nothing to do, has backed off to its longest interval, as in a healthy cluster.
        for index in 0..<600 {
            cluster.run(for: .milliseconds(100))
            _ = cluster.broadcast(from: NodeID(index % 10))
        }
        let cut = NodeID(0)
        cluster.isolate(cut)
        var during: [UInt64] = []
        for _ in 0..<10 {
            cluster.run(for: .milliseconds(500))
            if let key = cluster.broadcast(from: NodeID(1 + during.count % 9)) { during.append(key) }
        }
        cluster.run(for: .milliseconds(500))
        cluster.heal()
        // Suspected, never declared dead: nobody sees it fail or come back, the case a join-time catch-up
        // misses. Its refutation is what starts the walk.
        let observed = cluster.simulation.recorder.stateObservations.filter { $0.member == cut }
        #expect(observed.contains { $0.state == .suspect }, "nobody suspected \(cut.name): the test no longer covers a refuted suspicion")
        #expect(!observed.contains { $0.state == .dead }, "\(cut.name) was declared dead: the test no longer covers a refuted suspicion")
        cluster.run(for: .seconds(5))
        let missed = during.filter { !cluster.simulation.recorder.delivered($0, at: cut) }
        #expect(missed.isEmpty, "\(missed.count) of \(during.count) broadcasts made while \(cut.name) was cut off had not reached it 5 s after")
    }

    @Test("a one-way partition is seen as a failure by the side that hears nothing")
    func oneWay() {
        let cluster = Cluster(ClusterOptions(nodes: 6, seed: 5, membership: .swim, scrapeInterval: nil))
        cluster.run(for: .seconds(10))
        cluster.partition([[NodeID(0)], cluster.nodes(1..<6)], oneWay: true)
        cluster.run(for: .seconds(60))
        // node-0's packets are cut: the others stop hearing its acks and declare it dead.
        for node in cluster.nodes(1..<6) {
            #expect(cluster.metric("memberlist_members", ["state": "alive"], on: node) == 5)
        }
    }

    @Test("the same seed and script give the same run, bit for bit; another seed does not")
    func determinism() {
        func run(_ seed: UInt64) -> (RunMeasures, [Double], Int) {
            let cluster = Cluster(ClusterOptions(nodes: 8, seed: seed, membership: .swim, conditions: LinkConditions(loss: 0.05, duplication: 0.01, reordering: 0.02), scrapeInterval: .seconds(15)))
            cluster.run(for: .seconds(10))
            for i in 0..<20 { cluster.at(.seconds(10) + .milliseconds(250 * i)) { $0.broadcast(from: NodeID(i % 8)) } }
            cluster.at(.seconds(12)) { $0.partition([$0.nodes(0..<4), $0.nodes(4..<8)]) }
            cluster.at(.seconds(40)) { $0.heal() }
            cluster.at(.seconds(45)) { $0.crash(NodeID(3)) }
            cluster.at(.seconds(60)) { $0.restart(NodeID(3)) }
            cluster.run(until: Instant.zero + .seconds(90))
            let sampler = cluster.simulation.sampler!
            return (cluster.measures(), sampler.clusterSum("memberlist_probes_total{result=\"ack\"}") + sampler.clusterSum("plumtree_graft_sent_total"), cluster.simulation.eventsProcessed)
        }
        let a = run(77), b = run(77), c = run(78)
        #expect(a.0 == b.0)
        #expect(a.1 == b.1)
        #expect(a.2 == b.2)
        #expect(a.2 != c.2 || a.1 != c.1)
    }
}
