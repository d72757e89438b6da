import Plumtree
import ProtocolSupport
import Testing

/// The lan profile with a cache that outlives the tests' quiet spells, so that digests keep having
/// something to offer.
private func longCacheLAN() -> PlumtreeConfig {
    var config = PlumtreeConfig.lan
    config.messageCacheTTL = .seconds(300)
    config.seenTTL = .seconds(600)
    return config
}

private let digestType: UInt8 = 7

extension CoreHarness {
    /// Fires timers up to `duration` from now and returns when each Digest went out; other sends are
    /// dropped.
    mutating func digestTimes(over duration: Duration) -> [Instant] {
        let target = now + duration
        var times: [Instant] = []
        var steps = 0
        while let deadline = core.nextDeadline, deadline <= target, steps < 100_000 {
            now = max(now, deadline)
            core.handleTimeout(now: now, into: &output)
            for send in drainSends() {
                if case .digest = send.message { times.append(now) }
            }
            steps += 1
        }
        now = target
        output.removeAll()
        return times
    }

    /// How long until the next Digest goes out; `.seconds(3_600)` when none does within a minute.
    mutating func timeToNextDigest() -> Duration {
        let limit = Duration.seconds(60)
        let start = now
        var steps = 0
        while let deadline = core.nextDeadline, deadline <= start + limit, steps < 100_000 {
            now = max(now, deadline)
            core.handleTimeout(now: now, into: &output)
            let sent = drainSends().contains { if case .digest = $0.message { true } else { false } }
            output.removeAll()
            if sent { return now.duration(since: start) }
            steps += 1
        }
        return .seconds(3_600)
    }
}

/// A core with five members and one cached message old enough to be offered, backed off to the cap.
private func backedOffCore(config: PlumtreeConfig = longCacheLAN()) throws -> (CoreHarness, MessageID) {
    var harness = CoreHarness(config: config, peers: ["a", "b", "c", "d", "e"])
    let id = try harness.core.broadcast(Array("cached".utf8), now: harness.now, into: &harness.output)
    harness.output.removeAll()
    // 0.5 + 1 + 2 + 4 s (plus jitter) reach the 8 s cap; 30 s is well past it.
    _ = harness.digestTimes(over: .seconds(30))
    return (harness, id)
}

@Suite("Anti-entropy interval backs off when idle")
struct AntiEntropyBackoffTests {
    @Test func idleRoundsDoubleTheIntervalUpToTheCap() throws {
        var harness = CoreHarness(config: longCacheLAN(), peers: ["a", "b", "c"])
        _ = try harness.core.broadcast(Array("hello".utf8), now: harness.now, into: &harness.output)
        harness.output.removeAll()
        let times = harness.digestTimes(over: .seconds(90))
        let gaps = zip(times.dropFirst(), times).map { $0.duration(since: $1) }
        try #require(gaps.count >= 8)
        // Each gap is the interval plus up to a tenth of jitter: 0.5, 1, 2, 4, then 8 s for good.
        let expected: [Duration] = [.seconds(1), .seconds(2), .seconds(4)] + Array(repeating: .seconds(8), count: gaps.count - 3)
        for (gap, interval) in zip(gaps, expected) {
            #expect(gap >= interval && gap <= interval + interval / 10, "gap \(gap), interval \(interval)")
        }
    }

    @Test func aFixedIntervalWhenTheCapIsTheBase() throws {
        var config = longCacheLAN()
        config.antiEntropyMaxInterval = config.antiEntropyInterval
        var harness = CoreHarness(config: config, peers: ["a", "b", "c"])
        _ = try harness.core.broadcast(Array("hello".utf8), now: harness.now, into: &harness.output)
        harness.output.removeAll()
        let times = harness.digestTimes(over: .seconds(60))
        // 0.5 s plus up to 10% jitter: between 109 and 120 digests after the first 2 s.
        #expect(times.count >= 100 && times.count <= 120, "\(times.count) digests")
    }

    @Test func aPullReceivedResetsTheInterval() throws {
        var (harness, id) = try backedOffCore()
        let gap1 = harness.timeToNextDigest()
        #expect(gap1 > .seconds(1) && gap1 <= .milliseconds(8_800), "backed off before the pull")
        harness.receive(.pull([id]), from: "b")
        let answers = harness.drainSends().filter { if case .gossip = $0.message { $0.to == "b" } else { false } }
        #expect(answers.count == 1)
        let base = PlumtreeConfig.lan.antiEntropyInterval
        // The next digest within the base interval; the round after it, which follows a round that found
        // work, keeps the base interval too.
        let gap2 = harness.timeToNextDigest()
        #expect(gap2 <= base)
        let gap3 = harness.timeToNextDigest()
        #expect(gap3 <= base + base / 10)
        // Then nothing more comes of it, and the interval grows again.
        let gap4 = harness.timeToNextDigest()
        #expect(gap4 > base + base / 10)
    }

    @Test func pullingSomethingResetsTheInterval() throws {
        var (harness, _) = try backedOffCore()
        let unknown = MessageID(high: 7, low: 7)
        harness.receive(.digest([unknown]), from: "c")
        let pulls = harness.drainSends().filter { if case .pull(let ids) = $0.message { ids == [unknown] } else { false } }
        #expect(pulls.count == 1)
        let gap5 = harness.timeToNextDigest()
        #expect(gap5 <= PlumtreeConfig.lan.antiEntropyInterval)
    }

    @Test func aDigestOfKnownIdsDoesNotResetTheInterval() throws {
        var (harness, id) = try backedOffCore()
        harness.receive(.digest([id]), from: "c")
        #expect(harness.drainSends().isEmpty, "nothing to pull")
        let gap6 = harness.timeToNextDigest()
        #expect(gap6 > .seconds(1) && gap6 <= .milliseconds(8_800))
    }

    @Test func membershipChangesResetTheInterval() throws {
        let base = PlumtreeConfig.lan.antiEntropyInterval
        var (harness, _) = try backedOffCore()
        harness.core.memberUp("f", advertisesPlumtree: true, now: harness.now, into: &harness.output)
        let gap7 = harness.timeToNextDigest()
        #expect(gap7 <= base, "a member joined")

        _ = harness.digestTimes(over: .seconds(30))
        harness.core.memberDown("b", now: harness.now, into: &harness.output)
        let gap8 = harness.timeToNextDigest()
        #expect(gap8 <= base, "a member failed")

        _ = harness.digestTimes(over: .seconds(30))
        harness.core.memberUp("b", advertisesPlumtree: true, now: harness.now, into: &harness.output)
        let gap9 = harness.timeToNextDigest()
        #expect(gap9 <= base, "a member came back")

        // A report about a member already known changes nothing.
        _ = harness.digestTimes(over: .seconds(30))
        harness.core.memberUp("c", advertisesPlumtree: true, now: harness.now, into: &harness.output)
        let gap10 = harness.timeToNextDigest()
        #expect(gap10 > .seconds(1) && gap10 <= .milliseconds(8_800), "no change, no reset")
    }

    @Test func aLocalBroadcastDoesNotResetTheInterval() throws {
        var (harness, _) = try backedOffCore()
        _ = try harness.core.broadcast(Array("new".utf8), now: harness.now, into: &harness.output)
        harness.output.removeAll()
        let gap11 = harness.timeToNextDigest()
        #expect(gap11 > .seconds(1) && gap11 <= .milliseconds(8_800))
    }

    /// In a 16-node cluster, a quiet minute after a burst of broadcasts costs a fraction of the digests the
    /// fixed interval sends.
    @Test func aQuietClusterSendsFewDigests() {
        func digests(backoff: Bool) -> (busy: Int, quiet: Int, delivered: Bool) {
            var config = longCacheLAN()
            if !backoff { config.antiEntropyMaxInterval = config.antiEntropyInterval }
            let cluster = SimulatedCluster(size: 16, config: config, seed: 51)
            cluster.run(for: .seconds(1))
            var ids: [(MessageID, Int)] = []
            for index in 0..<20 {
                ids.append((cluster.broadcast(from: index % 16), index % 16))
                cluster.run(for: .milliseconds(500))
            }
            let atQuiet = cluster.sentByType[digestType] ?? 0
            cluster.run(for: .seconds(20))
            let atMinute = cluster.sentByType[digestType] ?? 0
            cluster.run(for: .seconds(60))
            let atEnd = cluster.sentByType[digestType] ?? 0
            let delivered = ids.allSatisfy { cluster.deliveredExactlyOnceEverywhere($0.0, origin: $0.1) }
            return (atQuiet, atEnd - atMinute, delivered)
        }
        let adaptive = digests(backoff: true)
        let fixed = digests(backoff: false)
        print("[plumtree] 16 nodes, lan: digests during 10 s of broadcasts \(adaptive.busy) (fixed \(fixed.busy)); in a quiet minute \(adaptive.quiet) (fixed \(fixed.quiet))")
        #expect(adaptive.delivered && fixed.delivered)
        // Capped at 8 s: at most 16 x (60 / 8 + 1) digests in the quiet minute; the fixed 0.5 s sends ~1,800.
        #expect(adaptive.quiet <= 16 * 9)
        #expect(fixed.quiet >= 16 * 100)
    }

    /// One node is cut off while a broadcast goes by, so it sees neither the payload nor an IHave, and no
    /// Graft can fetch it. With the interval backed off, anti-entropy still brings it within a bound.
    @Test func aMessageLostToOneNodeArrivesThroughAntiEntropyWithBackoffOn() throws {
        let config = longCacheLAN()
        let cluster = SimulatedCluster(size: 20, config: config, seed: 61)
        cluster.run(for: .seconds(1))
        var ids: [(MessageID, Int)] = []
        for index in 0..<5 {
            ids.append((cluster.broadcast(from: index), index))
            cluster.run(for: .milliseconds(300))
        }
        // Quiet long enough for every node to reach the 8 s cap.
        cluster.run(for: .seconds(30))
        let before = cluster.sentByType[digestType] ?? 0
        cluster.run(for: .seconds(16))
        let quietDigests = (cluster.sentByType[digestType] ?? 0) - before
        #expect(quietDigests <= 20 * 3, "backed off: \(quietDigests) digests in 16 s")

        let isolated = 7
        cluster.unreachable = [isolated]
        let lost = cluster.broadcast(from: 0)
        cluster.run(for: .seconds(1))
        cluster.unreachable = []
        #expect(cluster.deliveries[lost]?[isolated] == nil, "the node missed it")
        #expect((cluster.deliveries[lost] ?? [:]).count == 18, "everyone else has it")

        var recoveredAfter: Duration?
        for second in 1...60 {
            cluster.run(for: .seconds(1))
            if cluster.deliveries[lost]?[isolated] != nil {
                recoveredAfter = .seconds(second)
                break
            }
        }
        print("[plumtree] a message lost to one of 20 nodes, anti-entropy backed off to 8 s: recovered after \(recoveredAfter.map { "\($0)" } ?? "never")")
        // Offered once 2 s old; every node offers it at least every 8.8 s to one of 19 members.
        let after = try #require(recoveredAfter)
        #expect(after <= .seconds(60))
        #expect(cluster.nodes[isolated].core.snapshot.repairDeliveries >= 1)
        #expect(cluster.deliveredExactlyOnceEverywhere(lost, origin: 0))
        #expect(ids.allSatisfy { cluster.deliveredExactlyOnceEverywhere($0.0, origin: $0.1) })
    }

    /// A message whose Grafts all failed is pulled from random members every round at the base interval,
    /// until it arrives.
    @Test func aMessageGivenUpByGraftsIsPulledUntilItArrives() throws {
        var (harness, _) = try backedOffCore()
        let lost = MessageID(high: 5, low: 5)
        harness.receive(.ihave([.init(id: lost, round: 3)]), from: "a")
        var grafts = 0, pulls: [Instant] = []
        var steps = 0
        // Graft retries take about 0.2 + 0.4 + 0.8 + 1.6 + 2 + 2 s in the lan profile; watch 15 s.
        let end = harness.now + .seconds(15)
        while let deadline = harness.core.nextDeadline, deadline <= end, steps < 10_000 {
            harness.now = max(harness.now, deadline)
            harness.core.handleTimeout(now: harness.now, into: &harness.output)
            for send in harness.drainSends() {
                if case .graft(let id, _) = send.message, id == lost { grafts += 1 }
                if case .pull(let ids) = send.message, ids == [lost] { pulls.append(harness.now) }
            }
            steps += 1
        }
        #expect(grafts == PlumtreeConfig.lan.graftMaxRetries + 1)
        #expect(harness.core.snapshot.graftFailures == 1)
        let gaps = zip(pulls.dropFirst(), pulls).map { $0.duration(since: $1) }
        let base = PlumtreeConfig.lan.antiEntropyInterval
        #expect(pulls.count >= 10, "\(pulls.count) pulls")
        #expect(gaps.allSatisfy { $0 <= base + base / 10 }, "pulled at the base interval: \(gaps)")

        harness.now = end
        harness.receive(.gossip(.init(id: lost, round: 4, origin: "x", isRepair: true, payload: [1])), from: "c")
        #expect(harness.drainDeliveries().count == 1)
        _ = harness.digestTimes(over: .seconds(1))
        var later = 0
        let stop = harness.now + .seconds(20)
        steps = 0
        while let deadline = harness.core.nextDeadline, deadline <= stop, steps < 10_000 {
            harness.now = max(harness.now, deadline)
            harness.core.handleTimeout(now: harness.now, into: &harness.output)
            later += harness.drainSends().filter { if case .pull = $0.message { true } else { false } }.count
            steps += 1
        }
        #expect(later == 0, "no pull once it arrived")
    }

    @Test func profilesCapTheIntervalAtSixteenTimesTheirBase() {
        for config in [PlumtreeConfig(), .lan, .wan, .largeCluster] {
            #expect(config.antiEntropyMaxInterval == config.antiEntropyInterval * 16)
        }
        #expect(PlumtreeConfig.lan.antiEntropyMaxInterval == .seconds(8))
    }
}
