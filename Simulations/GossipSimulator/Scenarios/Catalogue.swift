import Plumtree
import ProtocolSupport

/// Every scenario `plumtree-sim list` shows and `make sim` runs.
///
/// Time line of each: the cluster forms in the first minute, broadcasts start at 1 minute, and alert checks
/// start after a 3-minute warm-up. Windows in the alert plans leave room for each rule's `for:` clock and
/// Prometheus' 15 s scrape and evaluation steps: an alert is required only once it must be firing and is
/// tolerated while it may or may not yet be.
public enum Catalogue {
    public static let all: [Scenario] = [
        steady, isolatedNode, partitionHeal, crash30, packetLoss20, cacheFill, flooding, graftBacklog, graftFailures, slowNode,
    ]

    public static func named(_ name: String) -> Scenario? { all.first { $0.name == name } }

    static func minutes(_ m: Double) -> Duration { .seconds(m * 60) }

    /// Every broadcast reached every running node (but the scenario's victims).
    static func deliveredEverywhere(_ s: ScenarioContext, _ m: RunMeasures) -> [String] {
        s.undelivered(excluding: s.victims)
    }

    static func noFalseDeaths(_ m: RunMeasures) -> [String] {
        atMostFalseDeaths(0, m)
    }

    static func atMostFalseDeaths(_ limit: Int, _ m: RunMeasures) -> [String] {
        m.falseDeaths > limit
            ? ["\(m.falseDeaths) false death declarations (members alive and reachable declared dead), more than \(limit)"] : []
    }

    /// A healthy cluster under steady load: no alert at all after warm-up, everything delivered.
    public static let steady = Scenario(
        name: "steady", summary: "healthy cluster under steady load: no alert after warm-up, every broadcast delivered",
        duration: minutes(12),
        script: { s in
            s.broadcasts(perSecond: 2, from: minutes(1), until: minutes(11.5))
        },
        check: { s, m in deliveredEverywhere(s, m) + noFalseDeaths(m) }
    )

    /// One node cut off from everyone: PlumtreeNodeIsolated on it and on it alone.
    ///
    /// The isolated node declares its peers dead one probe at a time, and Lifeguard stretches its probe
    /// interval as its probes go unanswered, so its last eager peer goes a few minutes after the cut.
    public static let isolatedNode = Scenario(
        name: "isolated-node", summary: "one node cut off from all others: PlumtreeNodeIsolated on it alone",
        duration: minutes(16),
        script: { s in
            let victim = s.pick(1)[0]
            s.victims = [victim]
            s.inject(.isolate(victim), at: minutes(3))
            // Broadcasts from the cut-off node could reach nobody; the others' must reach every other.
            s.broadcasts(perSecond: 1, from: minutes(1), until: minutes(15.5), excluding: [victim])
            s.plan.tolerate("PlumtreeNodeIsolated", on: [victim], from: minutes(3), until: minutes(9))
            s.plan.expect("PlumtreeNodeIsolated", on: [victim], from: minutes(9), until: minutes(17))
            // The same cause, seen by the other peer rules and by Lifeguard on the isolated node only.
            s.plan.tolerate("PlumtreeLowPeerCount", on: [victim], from: minutes(3), until: minutes(10))
            s.plan.expect("PlumtreeLowPeerCount", on: [victim], from: minutes(10), until: minutes(17))
            // With no eager and no lazy peer left, the victim has lost its redundancy too; the others keep
            // their lazy peers, so the warning stays on the victim.
            s.plan.tolerate("PlumtreeReducedRedundancy", on: [victim], from: minutes(3), until: minutes(13))
            s.plan.expect("PlumtreeReducedRedundancy", on: [victim], from: minutes(13), until: minutes(17))
            s.plan.tolerate("MemberlistNodeDegraded", on: [victim], from: minutes(3), until: minutes(11))
            // While the isolated node suspects its peers one by one, it may see a third of them suspect or
            // dead at once: the partition alert on the isolated node is right, elsewhere it would not be.
            for alert in ["MemberlistSuspectedPartition", "MemberlistMembersSuspect", "MemberlistMembersDead"] {
                s.plan.tolerate(alert, on: [victim], from: minutes(3), until: minutes(17))
            }
            s.plan.expect("MemberlistNodeDegraded", on: [victim], from: minutes(11), until: minutes(17))
        },
        check: { s, m in deliveredEverywhere(s, m) }
    )

    /// Two halves cut apart, then healed: every broadcast made during the partition reaches everyone after.
    ///
    /// The cache must outlive the partition for the repair to have anything to send: a message evicted
    /// before the heal is lost to the other side (with the default 60 s TTL, a partition longer than about a
    /// minute loses messages). Membership must raise an alert while the cluster is split.
    public static let partitionHeal = Scenario(
        name: "partition-heal", summary: "50/50 partition for 6 minutes, then heal: membership alert during, none after, every broadcast delivered",
        duration: minutes(18),
        configure: { options in
            options.plumtree.messageCacheTTL = minutes(10)
            options.plumtree.seenTTL = minutes(15)
        },
        script: { s in
            let half = s.nodes.count / 2
            let left = s.pick(half)
            let right = s.nodes.filter { !left.contains($0) }
            s.inject(.partition([left, right]), at: minutes(3))
            s.inject(.heal, at: minutes(9))
            s.broadcasts(perSecond: 1, from: minutes(1), until: minutes(17))
            s.plan.tolerate("MemberlistSuspectedPartition", from: minutes(3), until: minutes(6))
            s.plan.expect("MemberlistSuspectedPartition", on: s.nodes, from: minutes(6), until: minutes(9))
            s.plan.tolerate("MemberlistSuspectedPartition", from: minutes(9), until: minutes(11))
            // In a small cluster each half is too few members for a second lazy peer: after the rule's 5
            // minutes, PlumtreeReducedRedundancy is right (at 6 nodes it fires as the partition heals, in the
            // lab as in the simulator); at 16 nodes each half still has enough.
            for alert in ["MemberlistMembersSuspect", "MemberlistMembersDead", "MemberlistNodeDegraded", "PlumtreeLowPeerCount",
                          "PlumtreeReducedRedundancy"] {
                s.plan.tolerate(alert, from: minutes(3), until: minutes(11))
            }
        },
        check: { s, m in
            var failures = deliveredEverywhere(s, m)
            if m.timeToHeal == nil { failures.append("no heal measured") }
            return failures
        }
    )

    /// 30 % of the nodes crash for good: their targets go down; the rest keep delivering.
    public static let crash30 = Scenario(
        name: "crash-30", summary: "30% of nodes crash at once: PlumtreeTargetDown on each of them, survivors deliver everything",
        duration: minutes(12),
        script: { s in
            let victims = s.pick(Int((Double(s.nodes.count) * 0.3).rounded()))
            s.victims = victims
            s.inject(.crash(victims), at: minutes(3))
            s.broadcasts(perSecond: 1, from: minutes(1), until: minutes(11.5))
            s.plan.tolerate("PlumtreeTargetDown", on: victims, from: minutes(3), until: minutes(4.5))
            s.plan.expect("PlumtreeTargetDown", on: victims, from: minutes(4.5), until: minutes(13))
            s.plan.tolerate("PlumtreeLowPeerCount", from: minutes(3), until: minutes(10))
            s.plan.tolerate("MemberlistMembersSuspect", from: minutes(3), until: minutes(6))
            // Losing 30% of the members at once is the mass failure this alert names (it fires when the
            // share lost is above 0.3, so at some cluster sizes only).
            s.plan.tolerate("MemberlistSuspectedPartition", from: minutes(3), until: minutes(13))
        },
        check: { s, m in
            var failures = deliveredEverywhere(s, m) + noFalseDeaths(m)
            if m.timeToFullDetection == nil { failures.append("crashes were not detected by every survivor") }
            return failures
        }
    )

    /// 20 % of datagrams lost everywhere: Lifeguard keeps false deaths at zero, repair keeps delivery whole.
    ///
    /// At the default 16 nodes Lifeguard keeps false deaths rare, not absent: with each probe's round trip
    /// lost 36% of the time and TCP's fallback slowed by the same loss, about 2,800 false suspicions in ten
    /// minutes end, over seeds 1-30, in no false death in 22 runs, one declaration (one observer, refuted) in 7
    /// and two in one; the build before the catch-up walks gave the same picture (seeds 1-10: 0 in 8 runs, 1
    /// and 3 in the others). So the check allows two. In a cluster of 6 a few members are declared dead in ten
    /// minutes and come back within seconds (refuted or reconnected), in the lab's real processes as in the
    /// simulator, since fewer members can confirm or refute a suspicion.
    public static let packetLoss20 = Scenario(
        name: "packet-loss-20", summary: "20% datagram loss on every link: false deaths rare (at most 2), every broadcast delivered",
        duration: minutes(12),
        script: { s in
            s.inject(.loss(0.2), at: minutes(2))
            s.broadcasts(perSecond: 1, from: minutes(1), until: minutes(11.5))
            s.plan.tolerate("MemberlistNodeDegraded", from: minutes(2), until: minutes(13))
            s.plan.tolerate("MemberlistMembersSuspect", from: minutes(2), until: minutes(13))
            // Lost Prunes keep redundant eager links, and lost payloads come back through Grafts and
            // anti-entropy: at 20 % loss the duplicate ratio crosses the rules' 0.3 and 0.5 on most nodes.
            s.plan.tolerate("PlumtreeElevatedDuplicateRate", from: minutes(2), until: minutes(13))
            s.plan.tolerate("PlumtreeHighDuplicateRate", from: minutes(2), until: minutes(13))
        },
        check: { s, m in deliveredEverywhere(s, m) + atMostFalseDeaths(2, m) }
    )

    /// Broadcasts outgrow a small cache: first CacheHighUtilization, then CachePressure.
    public static let cacheFill = Scenario(
        name: "cache-fill", summary: "broadcast rate outgrows a 100-message cache: CacheHighUtilization, then CachePressure",
        duration: minutes(20),
        configure: { options in
            options.plumtree.messageCacheMaxSize = 100
            options.plumtree.messageCacheTTL = .seconds(60)
        },
        script: { s in
            // 1.5/s with a 60 s TTL holds ~90 messages (90 %); 3/s fills the cache.
            s.broadcasts(perSecond: 1.5, from: minutes(1), until: minutes(10), size: 64)
            s.at(minutes(10), "rate x2") { _ in }
            s.broadcasts(perSecond: 3, from: minutes(10), until: minutes(19.5), size: 64)
            let all = s.nodes
            s.plan.tolerate("PlumtreeCacheHighUtilization", on: all, from: minutes(3), until: minutes(8))
            s.plan.expect("PlumtreeCacheHighUtilization", on: all, from: minutes(8), until: minutes(21))
            s.plan.tolerate("PlumtreeCachePressure", on: all, from: minutes(10), until: minutes(17))
            s.plan.expect("PlumtreeCachePressure", on: all, from: minutes(17), until: minutes(19.5))
            // Broadcasts stop at 19.5 minutes and the cache drains below 95 % within the minute.
            s.plan.tolerate("PlumtreeCachePressure", on: all, from: minutes(19.5), until: minutes(21))
        },
        check: { s, m in deliveredEverywhere(s, m) }
    )

    /// Pruning switched off (the flooding configuration): duplicate-rate alerts everywhere.
    public static let flooding = Scenario(
        name: "flooding", summary: "pruning off (flooding): PlumtreeElevatedDuplicateRate and PlumtreeHighDuplicateRate on every node",
        duration: minutes(12),
        configure: { options in options.plumtree.pruning = false },
        script: { s in
            s.broadcasts(perSecond: 1, from: minutes(1), until: minutes(11.5))
            let all = s.nodes
            for alert in ["PlumtreeElevatedDuplicateRate", "PlumtreeHighDuplicateRate"] {
                s.plan.tolerate(alert, on: all, from: minutes(3), until: minutes(7.5))
                s.plan.expect(alert, on: all, from: minutes(7.5), until: minutes(12.5))
            }
        },
        check: { s, m in deliveredEverywhere(s, m) }
    )

    /// Grafts that cannot be answered, retried patiently: missing messages pile up on every node.
    public static let graftBacklog = Scenario(
        name: "graft-backlog", summary: "lossy network, cache too small to answer grafts, grafts retried for 2 minutes: PlumtreeGraftBacklog everywhere",
        duration: minutes(14),
        configure: { options in
            configureUnanswerableGrafts(&options)
            // Patient grafting: a missing message is retried for about two minutes before it is given up.
            options.plumtree.graftTimeout = .seconds(1)
            options.plumtree.graftMaxRetries = 8
            options.plumtree.graftBackoffLimit = .seconds(20)
        },
        script: { s in
            unanswerableGrafts(s)
            s.plan.tolerate("PlumtreeGraftBacklog", on: s.nodes, from: minutes(2), until: minutes(9))
            s.plan.expect("PlumtreeGraftBacklog", on: s.nodes, from: minutes(9), until: minutes(13.5))
            s.plan.tolerate("PlumtreeGraftBacklog", on: s.nodes, from: minutes(13.5), until: minutes(15))
            s.plan.tolerate("PlumtreeGraftFailures", from: minutes(2), until: minutes(15))
            s.plan.tolerate("PlumtreeHighGraftFailures", from: minutes(2), until: minutes(15))
        },
        check: { _, m in m.reliability < 0.5 ? ["reliability \(m.reliability) below 0.5"] : [] }
    )

    /// The setting of the graft scenarios: a cache that holds a third of a second of broadcasts, 20 % loss.
    static func configureUnanswerableGrafts(_ options: inout ClusterOptions) {
        options.plumtree.messageCacheMaxSize = 10
    }

    /// From 2 minutes on, 20 % of datagrams are lost, so payloads go missing and nodes graft; at 30
    /// broadcasts a second a 10-message cache has evicted the payload before the Graft arrives. (At 20 a
    /// second, once Graft answers stopped re-splitting the tree, a node now and then gave up on fewer than
    /// the warning's 5 messages a minute until after the minute the plan expects the warning by.)
    static func unanswerableGrafts(_ s: ScenarioContext) {
        s.inject(.loss(0.2), at: minutes(2))
        s.broadcasts(perSecond: 30, from: minutes(1), until: minutes(13.5), size: 64)
        // The cache is full by design, and loss has the effects packet-loss-20 shows.
        for alert in ["PlumtreeCacheHighUtilization", "PlumtreeCachePressure", "PlumtreeElevatedDuplicateRate",
                      "PlumtreeHighDuplicateRate", "MemberlistNodeDegraded", "MemberlistMembersSuspect"] {
            s.plan.tolerate(alert, from: minutes(1), until: minutes(15))
        }
    }

    /// A node too slow for its input: what an overloaded node does to the cluster and to the alerts.
    ///
    /// Every datagram it receives waits for the previous one (60 ms each) while its timers run on time: its
    /// acks come too late, so the others declare it dead again and again, and its own view lags by minutes.
    /// The plan tolerates what follows from that; the check is that everyone else still delivers.
    public static let slowNode = Scenario(
        name: "slow-node", summary: "one node processes its input late (overloaded): the rest keep delivering; its symptoms are tolerated",
        duration: minutes(14),
        script: { s in
            let victim = s.pick(1)[0]
            s.victims = [victim]
            s.at(minutes(3), "slow \(victim.name)") { $0.setSlow(victim, delay: .milliseconds(60)) }
            s.broadcasts(perSecond: 5, from: minutes(1), until: minutes(13.5), size: 64, excluding: [victim])
            for alert in ["PlumtreeGraftBacklog", "PlumtreeGraftFailures", "PlumtreeHighGraftFailures", "MemberlistNodeDegraded",
                          "PlumtreeNodeIsolated", "PlumtreeLowPeerCount"] {
                s.plan.tolerate(alert, on: [victim], from: minutes(3), until: minutes(15))
            }
            for alert in ["MemberlistMembersDead", "MemberlistMembersSuspect", "PlumtreeElevatedDuplicateRate",
                          "PlumtreeHighDuplicateRate"] {
                s.plan.tolerate(alert, from: minutes(3), until: minutes(15))
            }
        },
        check: { s, m in deliveredEverywhere(s, m) }
    )

    /// Grafts that cannot be answered, given up after the default retries: graft-failure alerts everywhere.
    public static let graftFailures = Scenario(
        name: "graft-failures", summary: "lossy network, cache too small to answer grafts: PlumtreeGraftFailures everywhere, PlumtreeHighGraftFailures on most",
        duration: minutes(14),
        configure: { options in configureUnanswerableGrafts(&options) },
        script: { s in
            unanswerableGrafts(s)
            // Each node gives up on roughly 34 messages a minute (16 nodes, seeds 1-3): above the critical
            // rule's 20, which fires on most nodes, on and off; the warning holds everywhere.
            s.plan.tolerate("PlumtreeHighGraftFailures", from: minutes(2), until: minutes(15))
            s.plan.tolerate("PlumtreeGraftFailures", on: s.nodes, from: minutes(2), until: minutes(10))
            s.plan.expect("PlumtreeGraftFailures", on: s.nodes, from: minutes(10), until: minutes(13.5))
            for alert in ["PlumtreeHighGraftFailures", "PlumtreeGraftFailures", "PlumtreeGraftBacklog"] {
                s.plan.tolerate(alert, on: s.nodes, from: minutes(13.5), until: minutes(15))
            }
            s.plan.tolerate("PlumtreeGraftBacklog", from: minutes(2), until: minutes(15))
        },
        check: { _, m in m.reliability < 0.5 ? ["reliability \(m.reliability) below 0.5"] : [] }
    )
}
