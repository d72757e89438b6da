import Membership
import MemberlistWire
import ProtocolSupport
import Testing

/// Whole clusters of cores on the simulated network, in virtual time.
@Suite struct ClusterTests {
    /// The LAN profile without compression (faster in debug builds; compression is covered separately).
    static var fast: MembershipConfig {
        var config = MembershipConfig.lan
        config.compression = false
        return config
    }

    /// n nodes, node i joining node i - 1, run until everyone sees everyone alive (bounded).
    static func chain(_ n: Int, seed: UInt64, config: MembershipConfig = fast) -> (SimulatedNetwork, Duration?) {
        var net = SimulatedNetwork(seed: seed, config: config)
        for _ in 0..<n { net.addNode() }
        for i in 1..<n {
            net.join(i, seeds: [i - 1])
            net.run(for: .milliseconds(50))
        }
        let start = Instant.zero
        for _ in 0..<600 {
            if net.converged(live: Array(0..<n)) { return (net, net.now.duration(since: start)) }
            net.run(for: .milliseconds(100))
        }
        return (net, nil)
    }

    @Test func fiftyMembersConvergeFromAChainOfJoins() {
        let (net, took) = Self.chain(50, seed: 1)
        #expect(took != nil, "50 members did not converge within 60 s of virtual time")
        if let took { print("50-member chain join converged after \(took) of virtual time") }
        for i in 0..<50 {
            #expect(net.nodes[i].core.counts.alive == 50)
            #expect(net.nodes[i].core.healthScore == 0)
        }
    }

    @Test func aCrashedMemberIsDeclaredDeadByEveryoneWithinThePredictedBound() {
        var (net, took) = Self.chain(50, seed: 2)
        try? #require(took != nil)
        let victim = 17
        let crashedAt = net.now
        net.crash(victim)
        let others = (0..<50).filter { $0 != victim }
        var everyoneAt: Instant?
        for _ in 0..<1200 {
            net.run(for: .milliseconds(100))
            if others.allSatisfy({ net.state(of: victim, at: $0) == .dead }) { everyoneAt = net.now; break }
        }
        let config = Self.fast
        let n = 50
        let minSuspicion = MembershipMath.suspicionTimeout(
            suspicionMult: config.suspicionMult, members: n, probeInterval: config.probeInterval)
        let maxSuspicion = minSuspicion * config.suspicionMaxTimeoutMult
        // memberlist's bound: the victim is probed within one probe interval by someone (49 probers in
        // randomized round-robin), the probe takes at most one interval, then the suspicion runs between its
        // minimum (enough confirmations) and maximum; the dead message then spreads by gossip within
        // retransmit-limit gossip rounds.
        let gossipSpread = config.gossipInterval * MembershipMath.retransmitLimit(retransmitMult: config.retransmitMult, members: n)
        let expected = config.probeInterval * 2 + minSuspicion + gossipSpread
        let bound = config.probeInterval * 2 + maxSuspicion + gossipSpread
        let measured = everyoneAt.map { $0.duration(since: crashedAt) }
        print("crash detection, 50 members: measured \(measured.map { "\($0)" } ?? "never"); formula: expected \(expected) (suspicion at its minimum \(minSuspicion)), bound \(bound) (suspicion at its maximum \(maxSuspicion))")
        #expect(measured != nil)
        if let measured { #expect(measured <= bound) }
        // Only the victim failed.
        let failures = net.events.filter { if case .failed(let m) = $0.2 { return m.name != SimulatedNetwork.name(victim) } else { return false } }
        #expect(failures.isEmpty)
    }

    /// Runs 50 members at 10% loss for 10 minutes. Returns the failed probes (each one a suspicion raised by
    /// a prober), the suspect and failed events all observers reported (every member is healthy, so all
    /// are false), and the datagrams lost and sent.
    static func lossyRun(lifeguard: Bool, seed: UInt64)
        -> (failedProbes: Int, suspicions: Int, failures: Int, lost: Int, sent: Int)
    {
        var config = fast
        if !lifeguard {
            config.awarenessMaxMultiplier = 1
            config.suspicionMaxTimeoutMult = 1
        }
        var (net, took) = chain(50, seed: seed, config: config)
        guard took != nil else { return (-1, -1, -1, 0, 0) }
        let before = net.events.count
        let timeoutsBefore = net.nodes.map { $0.metrics.value("memberlist_probes_total", [("result", "timeout")]) }.reduce(0, +)
        net.lossRate = 0.10
        net.run(for: .seconds(600))
        let during = net.events[before...]
        var suspicions = 0, failures = 0
        for (_, _, event) in during {
            switch event {
            case .suspect: suspicions += 1
            case .failed: failures += 1
            default: break
            }
        }
        let timeouts = net.nodes.map { $0.metrics.value("memberlist_probes_total", [("result", "timeout")]) }.reduce(0, +)
        return (Int(timeouts - timeoutsBefore), suspicions, failures, net.datagramsLost, net.datagramsSent)
    }

    @Test func atTenPercentLossLifeguardDeclaresNoHealthyMemberDead() {
        let on = Self.lossyRun(lifeguard: true, seed: 3)
        let off = Self.lossyRun(lifeguard: false, seed: 3)
        print("10% loss, 50 members, 10 min: Lifeguard on: \(on.failedProbes) false suspicions raised (\(on.suspicions) suspect events over all observers), \(on.failures) false deaths (\(on.lost)/\(on.sent) datagrams lost); Lifeguard off: \(off.failedProbes) false suspicions raised (\(off.suspicions) suspect events), \(off.failures) false deaths (\(off.lost)/\(off.sent) lost)")
        #expect(on.failedProbes >= 0, "the cluster did not converge before the loss started")
        #expect(on.failures == 0)
    }

    @Test func aMemberRestartedWithAHigherIncarnationIsAliveAgainEverywhere() {
        var (net, took) = Self.chain(20, seed: 4)
        try? #require(took != nil)
        let victim = 9
        let oldIncarnation = net.nodes[victim].core.localIncarnation
        net.crash(victim)
        let others = (0..<20).filter { $0 != victim }
        for _ in 0..<600 where !others.allSatisfy({ net.state(of: victim, at: $0) == .dead }) {
            net.run(for: .milliseconds(100))
        }
        #expect(others.allSatisfy { net.state(of: victim, at: $0) == .dead })
        net.restart(victim, seed: 999, incarnation: oldIncarnation + 10)
        net.join(victim, seeds: [0])
        for _ in 0..<300 where !net.converged(live: Array(0..<20)) { net.run(for: .milliseconds(100)) }
        #expect(net.converged(live: Array(0..<20)))
        for observer in others {
            #expect(net.nodes[observer].core.member(named: SimulatedNetwork.name(victim))?.incarnation == oldIncarnation + 10)
        }
        let rejoined = net.events.filter { if case .joined(let m) = $0.2 { return m.name == SimulatedNetwork.name(victim) } else { return false } }
        #expect(rejoined.count >= others.count)
    }

    @Test func metadataUpdatesReachEveryone() throws {
        var (net, took) = Self.chain(30, seed: 5)
        try #require(took != nil)
        let tags = try SerfTags.encode(["role": "web", "dc": "east"])
        try net.updateMeta(12, tags)
        for _ in 0..<100 {
            net.run(for: .milliseconds(100))
            if (0..<30).allSatisfy({ net.nodes[$0].core.member(named: SimulatedNetwork.name(12))?.meta == tags }) { break }
        }
        for observer in 0..<30 {
            #expect(net.nodes[observer].core.member(named: SimulatedNetwork.name(12))?.meta == tags)
        }
        let updates = Set(net.events.compactMap { event -> Int? in
            if case .updated(let m) = event.2, m.name == SimulatedNetwork.name(12), m.meta == tags { return event.1 }
            return nil
        })
        #expect(updates.count == 30, "every node, the updater included, reports the update once")
        #expect(throws: MembershipError.metaTooLarge(size: 513)) {
            try net.updateMeta(3, Array(repeating: 1, count: 513))
        }
    }

    @Test func aGracefulLeaveIsSeenAsLeft() {
        var (net, took) = Self.chain(20, seed: 6)
        try? #require(took != nil)
        net.nodes[4].keepLog = true
        net.leave(4)
        let others = (0..<20).filter { $0 != 4 }
        for _ in 0..<100 where !others.allSatisfy({ net.state(of: 4, at: $0) == .left }) {
            net.run(for: .milliseconds(100))
        }
        #expect(others.allSatisfy { net.state(of: 4, at: $0) == .left })
        #expect(!net.events.contains { if case .failed = $0.2 { return true } else { return false } })
        #expect(net.nodes[4].log.contains(.leaveBroadcastDone))
        // The serf leave intent went out first: user messages of serf type 0 reached the others.
        let intents = net.nodes[4].log.prefix { if case .event = $0 { return false } else { return true } }
        #expect(intents.contains { if case .sendDatagram = $0 { return true } else { return false } })
        // After gossipToTheDeadTime the left member is reaped everywhere.
        net.run(for: .seconds(60))
        #expect(others.allSatisfy { net.nodes[$0].core.member(named: SimulatedNetwork.name(4)) == nil })
    }

    @Test func aSuspectedMemberRefutesAndStaysAlive() {
        var (net, took) = Self.chain(10, seed: 7)
        try? #require(took != nil)
        let target = 2
        let before = net.nodes[target].core.localIncarnation
        // Node 5 is told (by node 6) that node 2 is suspect; the rumour reaches node 2, which refutes.
        let rumour = Suspect(incarnation: before, node: SimulatedNetwork.name(target), from: SimulatedNetwork.name(6))
        _ = net.inject(rumour.encoded(), to: 5, from: SimulatedNetwork.address(6))
        #expect(net.state(of: target, at: 5) == .suspect)
        net.run(for: .seconds(30))
        #expect(net.nodes[target].core.localIncarnation > before)
        #expect(net.converged(live: Array(0..<10)))
        #expect(!net.events.contains { if case .failed = $0.2 { return true } else { return false } })
        #expect(net.events.contains { if case .recovered(let m) = $0.2 { return m.name == SimulatedNetwork.name(target) } else { return false } })
    }

    @Test func sameSeedSameOutputs() {
        func run(seed: UInt64) -> [[MembershipOutput]] {
            var net = SimulatedNetwork(seed: seed, config: MembershipConfig.lan)
            for _ in 0..<8 { net.addNode(keepLog: true) }
            for i in 1..<8 { net.join(i, seeds: [0]) }
            net.lossRate = 0.05
            net.run(for: .seconds(5))
            net.crash(3)
            net.run(for: .seconds(20))
            net.leave(5)
            net.run(for: .seconds(5))
            return net.nodes.map(\.log)
        }
        let first = run(seed: 11)
        let second = run(seed: 11)
        #expect(first.map(\.count).reduce(0, +) > 500)
        #expect(first == second)
        let other = run(seed: 12)
        #expect(first != other)
    }

    @Test func encryptedCompressedClusterConvergesAndRefusesAWrongKey() throws {
        let key = Array(0..<32).map { UInt8($0) }
        let keyring = try Keyring(primaryKey: key)
        var net = SimulatedNetwork(seed: 8, config: .lan)
        for _ in 0..<5 { net.addNode(keyring: keyring) }
        let intruder = net.addNode(keyring: try Keyring(primaryKey: Array(repeating: 7, count: 32)))
        for i in 1..<5 { net.join(i, seeds: [0]) }
        net.run(for: .seconds(10))
        #expect(net.converged(live: Array(0..<5)))
        net.join(intruder, seeds: [0])
        net.run(for: .seconds(10))
        for i in 0..<5 { #expect(net.nodes[i].core.member(named: SimulatedNetwork.name(intruder)) == nil) }
        #expect(net.nodes[intruder].core.counts.alive == 1)
        #expect(net.nodes[0].metrics.value("memberlist_packets_dropped_total", [("reason", "decryption_failed")]) >= 1)
    }
}
