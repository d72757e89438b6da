import Plumtree
import ProtocolSupport
import Testing

@Suite("Plumtree core behaviour")
struct CoreBehaviourTests {
    static let id = MessageID(high: 42, low: 7)

    /// A core whose overlay is exactly `eager` (eager) and `lazy` (lazy).
    static func core(eager: [String], lazy: [String], configure: (inout PlumtreeConfig) -> Void = { _ in }) -> CoreHarness {
        var config = PlumtreeConfig()
        config.eagerFanout = eager.count
        config.lazyFanout = lazy.count
        config.antiEntropyInterval = .seconds(3_600)
        configure(&config)
        return CoreHarness(config: config, peers: eager + lazy)
    }

    @Test func broadcastPushesToEagerAndAnnouncesToLazyInBatches() throws {
        var h = Self.core(eager: ["a", "b"], lazy: ["c"])
        #expect(h.core.snapshot.eagerPeers == ["a", "b"])
        #expect(h.core.snapshot.lazyPeers == ["c"])
        let id = try h.core.broadcast([1, 2, 3], now: h.now, into: &h.output)
        let sends = h.drainSends()
        #expect(sends.map(\.to) == ["a", "b"])
        #expect(sends.allSatisfy { if case .gossip(let g) = $0.message { g.id == id && g.round == 1 && g.origin == "me" } else { false } })
        #expect(h.core.snapshot.ihaveQueueSize == 1)
        h.advance(.milliseconds(99))
        #expect(h.drainSends().isEmpty)
        h.advance(.milliseconds(2))
        let flushed = h.drainSends()
        #expect(flushed.count == 1 && flushed[0].to == "c")
        #expect(flushed.first.map { if case .ihave(let list) = $0.message { list == [.init(id: id, round: 1)] } else { false } } == true)
        #expect(h.drainDeliveries().isEmpty, "a node does not deliver its own broadcast")
        #expect(h.metrics.value("plumtree_messages_broadcast_total") == 1)
        #expect(h.metrics.value("plumtree_gossip_sent_total") == 2)
        #expect(h.metrics.value("plumtree_ihave_sent_total") == 1)
        #expect(h.metrics.recorded("plumtree_ihave_batch_size") == [1])
    }

    @Test func fullBatchFlushesAtOnceAndNeverExceeds64Ids() throws {
        var h = Self.core(eager: [], lazy: ["c"]) { $0.ihaveBatchSize = 16 }
        for index in 0..<16 { try h.core.broadcast([UInt8(index)], now: h.now, into: &h.output) }
        let sends = h.drainSends()
        #expect(sends.count == 1)
        #expect(sends.first.map { if case .ihave(let list) = $0.message { list.count == 16 } else { false } } == true)

        var big = Self.core(eager: [], lazy: ["c"]) { $0.ihaveBatchSize = 500 }
        for index in 0..<130 { try big.core.broadcast([UInt8(index % 256)], now: big.now, into: &big.output) }
        big.advance(.milliseconds(150))
        let counts = big.drainSends().compactMap { if case .ihave(let list) = $0.message { list.count } else { nil } }
        #expect(counts == [64, 64, 2])
    }

    @Test func oversizedBroadcastIsRefusedAndChangesNothing() {
        var h = Self.core(eager: ["a"], lazy: [])
        let before = h.core.snapshot
        #expect(throws: PlumtreeBroadcastError.payloadTooLarge(size: 65_537, limit: 65_536)) {
            try h.core.broadcast(Array(repeating: 0, count: 65_537), now: h.now, into: &h.output)
        }
        #expect(h.output.isEmpty)
        #expect(h.core.snapshot == before)
        #expect(throws: Never.self) { try h.core.broadcast(Array(repeating: 0, count: 65_536), now: h.now, into: &h.output) }
    }

    @Test func firstCopyIsDeliveredOnceAndADuplicatePrunesItsSender() {
        var h = Self.core(eager: ["a", "b"], lazy: ["c"]) { $0.pruneSettleDelay = .zero }
        h.receive(.gossip(.init(id: Self.id, round: 2, origin: "z", traceContext: [9], payload: [7])), from: "a")
        let delivered = h.drainDeliveries()
        #expect(delivered == [DeliveredMessage(id: Self.id, origin: "z", hops: 2, payload: [7], traceContext: [9])])
        let forwarded = h.drainSends()
        #expect(forwarded.map(\.to) == ["b"])
        #expect(forwarded.first.map { if case .gossip(let g) = $0.message { g.round == 3 && g.traceContext == [9] } else { false } } == true)

        h.receive(.gossip(.init(id: Self.id, round: 4, origin: "z", payload: [7])), from: "b")
        #expect(h.drainDeliveries().isEmpty)
        let answer = h.drainSends()
        #expect(answer.count == 1 && answer[0].to == "b" && answer[0].message == .prune)
        #expect(h.core.snapshot.eagerPeers == ["a"])
        #expect(h.core.snapshot.lazyPeers == ["c", "b"])
        #expect(h.metrics.value("plumtree_messages_duplicate_total") == 1)
        #expect(h.metrics.value("plumtree_peer_demotions_total") == 1)
        #expect(h.metrics.recorded("plumtree_message_hops") == [2])
    }

    /// A duplicate marks its link; the link is pruned once `pruneSettleDelay` has passed, unless a message
    /// with a greater id was heard of meanwhile: then that message's own duplicates decide.
    @Test func duplicatePrunesAfterSettlingUnlessAnOverlappingMessageOutranksIt() {
        let low = MessageID(high: 1, low: 1), high = MessageID(high: 9, low: 9)
        var h = Self.core(eager: ["a", "b"], lazy: ["c"]) { $0.pruneSettleDelay = .milliseconds(100) }
        h.receive(.gossip(.init(id: low, round: 2, origin: "z", payload: [1])), from: "a")
        _ = h.drainSends()
        h.receive(.gossip(.init(id: low, round: 3, origin: "z", payload: [1])), from: "b")
        #expect(h.drainSends().isEmpty, "no Prune before the settling delay")
        #expect(h.core.snapshot.eagerPeers == ["a", "b"])
        h.advance(.milliseconds(99))
        #expect(!h.drainSends().contains { $0.message == .prune })
        h.advance(.milliseconds(1))
        #expect(h.drainSends().filter { $0.message == .prune }.map(\.to) == ["b"])
        #expect(h.core.snapshot.eagerPeers == ["a"])

        var o = Self.core(eager: ["a", "b"], lazy: ["c"]) { $0.pruneSettleDelay = .milliseconds(100) }
        o.receive(.gossip(.init(id: low, round: 2, origin: "z", payload: [1])), from: "a")
        o.receive(.gossip(.init(id: low, round: 3, origin: "z", payload: [1])), from: "b")
        o.now = o.now + .milliseconds(40)
        o.receive(.ihave([.init(id: high, round: 2)]), from: "c")
        _ = o.drainSends()
        o.advance(.milliseconds(100))
        #expect(!o.drainSends().contains { $0.message == .prune }, "an overlapping message with a greater id outranks it")
        #expect(o.core.snapshot.eagerPeers == ["a", "b"])

        // A lower id heard of meanwhile does not stop it.
        var p = Self.core(eager: ["a", "b"], lazy: ["c"]) { $0.pruneSettleDelay = .milliseconds(100) }
        p.receive(.gossip(.init(id: high, round: 2, origin: "z", payload: [1])), from: "a")
        p.receive(.gossip(.init(id: high, round: 3, origin: "z", payload: [1])), from: "b")
        p.receive(.gossip(.init(id: low, round: 2, origin: "y", payload: [2])), from: "a")
        _ = p.drainSends()
        p.advance(.milliseconds(100))
        #expect(p.drainSends().contains { $0.to == "b" && $0.message == .prune })
    }

    @Test func pruneDemotesTheSender() {
        var h = Self.core(eager: ["a", "b"], lazy: ["c"])
        h.receive(.prune, from: "a")
        #expect(h.core.snapshot.eagerPeers == ["b"])
        #expect(h.core.snapshot.lazyPeers == ["c", "a"])
    }

    @Test func missingMessageIsGraftedThenRetriedWithBackoffThenGivenUp() {
        var h = Self.core(eager: ["e"], lazy: ["a", "b"]) { $0.graftMaxRetries = 3 }
        h.receive(.ihave([.init(id: Self.id, round: 2)]), from: "a")
        h.receive(.ihave([.init(id: Self.id, round: 3)]), from: "b")
        #expect(h.core.snapshot.pendingGrafts == 1)
        h.advance(.milliseconds(499))
        #expect(h.drainSends().isEmpty)
        var times: [Duration] = []
        var targets: [String] = []
        let start = h.now
        for _ in 0..<100 {
            h.advance(.milliseconds(100))
            for send in h.drainSends() {
                if case .graft(let id, _) = send.message, id == Self.id {
                    targets.append(send.to)
                    times.append(h.now.duration(since: start))
                }
            }
        }
        #expect(targets == ["a", "b", "a", "b"], "the first announcer, then the others in turn")
        // Delays between Grafts double: 500 ms, 1 s, 2 s (times are rounded up to the 100 ms steps).
        #expect(times == [.milliseconds(100), .milliseconds(600), .milliseconds(1_600), .milliseconds(3_600)])
        #expect(h.core.snapshot.pendingGrafts == 0)
        #expect(h.core.snapshot.graftFailures == 1)
        #expect(h.metrics.value("plumtree_graft_failed_total") == 1)
        #expect(h.metrics.value("plumtree_graft_retries_total") == 3)
        #expect(h.metrics.value("plumtree_graft_sent_total") == 4)
        #expect(Set(h.core.snapshot.eagerPeers) == ["e", "a", "b"], "grafted announcers are promoted")
    }

    @Test func graftedMessageArrivingCountsSuccessAndLatency() {
        var h = Self.core(eager: ["e"], lazy: ["a"])
        h.receive(.ihave([.init(id: Self.id, round: 2)]), from: "a")
        h.advance(.milliseconds(500))
        #expect(h.drainSends().contains { $0.to == "a" && $0.message == .graft(id: Self.id, round: 2) })
        h.now = h.now + .milliseconds(30)
        h.receive(.gossip(.init(id: Self.id, round: 2, origin: "z", payload: [1])), from: "a")
        #expect(h.drainDeliveries().count == 1)
        #expect(h.core.snapshot.graftSuccesses == 1)
        #expect(h.metrics.recorded("plumtree_graft_latency_seconds") == [0.03])
        #expect(h.metrics.value("plumtree_pending_grafts") == 0)
    }

    @Test func graftPromotesAndAnswersFromTheCacheWithinTheRateLimit() throws {
        var h = Self.core(eager: [], lazy: ["a"]) {
            $0.graftBurst = 2
            $0.graftRatePerSecond = 1
        }
        let id = try h.core.broadcast([5, 5], now: h.now, into: &h.output)
        _ = h.drainSends()
        h.receive(.graft(id: id, round: 1), from: "a")
        #expect(h.core.snapshot.eagerPeers == ["a"])
        let answer = h.drainSends()
        #expect(answer.count == 1)
        #expect(answer.first.map { if case .gossip(let g) = $0.message { g.id == id && g.payload == [5, 5] && g.round == 1 } else { false } } == true)
        h.receive(.graft(id: id, round: 1), from: "a")
        #expect(h.drainSends().count == 1)
        h.receive(.graft(id: id, round: 1), from: "a")
        #expect(h.drainSends().isEmpty, "third graft within the burst window is refused")
        #expect(h.metrics.value("plumtree_messages_refused_total", [("reason", "graft_rate_limited")]) == 1)
        h.now = h.now + .seconds(1)
        h.receive(.graft(id: id, round: 1), from: "a")
        #expect(h.drainSends().count == 1, "the bucket refills at the configured rate")
    }

    @Test func announcementOfAMuchShorterPathGraftsTheAnnouncerAndPrunesTheParent() {
        // The paper's rule: one message decides (the default waits for a second, see OptimizationConfirmationTests).
        var h = Self.core(eager: ["p"], lazy: ["l"]) { $0.optimizationConfirmations = 1 }
        h.receive(.gossip(.init(id: Self.id, round: 6, origin: "z", payload: [1])), from: "p")
        _ = h.drainSends()
        h.receive(.ihave([.init(id: Self.id, round: 4)]), from: "l")
        #expect(h.drainSends().isEmpty, "2 hops shorter is below the threshold of 3")
        h.receive(.ihave([.init(id: Self.id, round: 3)]), from: "l")
        let sends = h.drainSends()
        #expect(sends.contains { $0.to == "l" && $0.message == .graft(id: nil, round: 3) })
        #expect(sends.contains { $0.to == "p" && $0.message == .prune })
        #expect(h.core.snapshot.eagerPeers == ["l"])
        #expect(h.core.snapshot.lazyPeers == ["p"])

        var off = Self.core(eager: ["p"], lazy: ["l"]) { $0.treeOptimization = false }
        off.receive(.gossip(.init(id: Self.id, round: 6, origin: "z", payload: [1])), from: "p")
        _ = off.drainSends()
        off.receive(.ihave([.init(id: Self.id, round: 1)]), from: "l")
        #expect(off.drainSends().isEmpty)
    }

    @Test func seenSetOutlivesTheCacheSoLateCopiesAreNotDeliveredAgain() {
        var h = Self.core(eager: ["a"], lazy: []) {
            $0.messageCacheTTL = .seconds(1)
            $0.seenTTL = .seconds(10)
        }
        h.receive(.gossip(.init(id: Self.id, round: 1, origin: "a", payload: [1])), from: "a")
        #expect(h.drainDeliveries().count == 1)
        h.advance(.seconds(2))
        #expect(h.core.snapshot.cacheSize == 0)
        h.receive(.gossip(.init(id: Self.id, round: 1, origin: "a", payload: [1])), from: "a")
        #expect(h.drainDeliveries().isEmpty)
        // The seen-set keeps ids for at least the cache TTL plus 60 s, whatever `seenTTL` says.
        h.advance(.seconds(10))
        h.receive(.gossip(.init(id: Self.id, round: 1, origin: "a", payload: [1])), from: "a")
        #expect(h.drainDeliveries().isEmpty, "remembered past the configured 10 s")
        h.advance(.seconds(50))
        h.receive(.gossip(.init(id: Self.id, round: 1, origin: "a", payload: [1])), from: "a")
        #expect(h.drainDeliveries().count == 1, "once the seen-set forgot it, the id is new again")
    }

    @Test func cacheEvictsTheOldestAtCapacity() throws {
        var h = Self.core(eager: [], lazy: ["a"]) { $0.messageCacheMaxSize = 3 }
        var ids: [MessageID] = []
        for index in 0..<5 { ids.append(try h.core.broadcast([UInt8(index)], now: h.now, into: &h.output)) }
        #expect(h.core.snapshot.cacheSize == 3)
        #expect(h.metrics.value("plumtree_cache_capacity") == 3)
        _ = h.drainSends()
        h.receive(.graft(id: ids[0], round: 1), from: "a")
        #expect(!h.drainSends().contains { if case .gossip = $0.message { true } else { false } })
        h.receive(.graft(id: ids[4], round: 1), from: "a")
        #expect(h.drainSends().contains { if case .gossip = $0.message { true } else { false } })
    }

    @Test func onlyPlumtreeMembersJoinAndFailedNeighboursAreReplaced() {
        var h = CoreHarness(config: PlumtreeConfig())
        h.core.memberUp("serf-agent", advertisesPlumtree: false, now: h.now, into: &h.output)
        #expect(h.core.snapshot.totalPeers == 0)
        #expect(h.output.isEmpty, "a plain serf agent is never sent anything")
        for index in 0..<20 { h.core.memberUp("n\(index)", advertisesPlumtree: true, now: h.now, into: &h.output) }
        let snapshot = h.core.snapshot
        #expect(snapshot.totalPeers == 9)
        #expect(snapshot.eagerPeers.count == 3)
        #expect(snapshot.knownMembers == 20)
        let victim = snapshot.eagerPeers[0]
        h.core.memberDown(victim, now: h.now, into: &h.output)
        let after = h.core.snapshot
        #expect(after.totalPeers == 9, "a random member takes the failed neighbour's place")
        #expect(!after.eagerPeers.contains(victim) && !after.lazyPeers.contains(victim))
        #expect(h.metrics.value("plumtree_peer_removed_total") >= 1)
        #expect(h.metrics.value("plumtree_total_peers") == 9)
    }

    @Test func neighborRequestsAreMirroredAndRefusedBeyondTheCap() throws {
        var h = CoreHarness(config: PlumtreeConfig())
        h.core.memberUp("x", advertisesPlumtree: true, now: h.now, into: &h.output)
        _ = h.drainSends()
        h.receive(.disconnect, from: "x")
        #expect(h.core.snapshot.totalPeers == 0)
        h.receive(.neighbor(eager: true), from: "x")
        #expect(h.core.snapshot.eagerPeers == ["x"])
        // 13 members, 9 neighbours: three of the other four fill the overlay to its cap of 12 (9 + eager
        // fan-out), and the last one is refused.
        var full = CoreHarness(config: PlumtreeConfig(), peers: (0..<13).map { "n\($0)" })
        let before = full.core.snapshot
        let outside = (0..<13).map { "n\($0)" }.filter { !before.eagerPeers.contains($0) && !before.lazyPeers.contains($0) }
        try #require(outside.count == 4)
        for name in outside.prefix(3) { full.receive(.neighbor(eager: false), from: name) }
        #expect(full.core.snapshot.totalPeers == 12)
        _ = full.drainSends()
        full.receive(.neighbor(eager: false), from: outside[3])
        #expect(full.drainSends().map(\.message) == [.disconnect])
    }

    @Test func malformedInputIsRefusedCountedAndChangesNothing() throws {
        var h = Self.core(eager: ["a"], lazy: ["b"])
        try h.core.broadcast([1], now: h.now, into: &h.output)
        h.output.removeAll()
        let before = h.core.snapshot
        let deadline = h.core.nextDeadline
        let bad: [[UInt8]] = [
            [], [0x51, 1, 1, 0x61, 4], [0x50, 9, 1, 0x61, 4], [0x50, 1, 1, 0x61], [0x50, 1, 1, 0x61, 99],
            [0x50, 1, 1, 0x61, 2, 0], [0x50, 1, 2, 0x6d, 0x65, 4], [0x50, 1, 1, 0x61, 4, 0],
            [0x50, 1, 1, 0x61, 1] + Array(repeating: 0, count: 16) + [0, 1, 0, 1, 0x6e, 0, 1, 0, 1, 9],
        ]
        for bytes in bad {
            h.core.receive(envelope: bytes, now: h.now, into: &h.output)
        }
        // Each refusal is reported as an output, as the membership core reports its own, and nothing else is.
        #expect(h.output.count == bad.count)
        #expect(h.output.allSatisfy { if case .refused = $0 { true } else { false } })
        h.output.removeAll()
        var after = h.core.snapshot
        #expect(after.refused == UInt64(bad.count))
        after.refused = before.refused
        #expect(after == before)
        #expect(h.core.nextDeadline == deadline)
        #expect(h.metrics.value("plumtree_messages_refused_total", [("reason", "not_plumtree")]) == 2)
        #expect(h.metrics.value("plumtree_messages_refused_total", [("reason", "from_self")]) == 1)
        #expect(h.metrics.value("plumtree_messages_refused_total", [("reason", "too_large")]) == 1)
    }

    @Test func everyContractMetricIsCreatedWithItsExactName() {
        let h = CoreHarness()
        let contract = [
            "plumtree_messages_broadcast_total", "plumtree_messages_delivered_total", "plumtree_messages_duplicate_total",
            "plumtree_gossip_sent_total", "plumtree_ihave_sent_total", "plumtree_graft_sent_total", "plumtree_prune_sent_total",
            "plumtree_peer_promotions_total", "plumtree_peer_demotions_total", "plumtree_peer_added_total",
            "plumtree_peer_removed_total", "plumtree_graft_success_total", "plumtree_graft_failed_total",
            "plumtree_graft_retries_total", "plumtree_graft_latency_seconds", "plumtree_message_size_bytes",
            "plumtree_message_hops", "plumtree_ihave_batch_size", "plumtree_eager_peers", "plumtree_lazy_peers",
            "plumtree_total_peers", "plumtree_cache_size", "plumtree_cache_capacity", "plumtree_ihave_queue_size",
            "plumtree_pending_grafts",
        ]
        let created = h.metrics.created
        for name in contract {
            #expect(created.contains(name), "\(name) not created")
            #expect(PlumtreeCore.descriptors.contains { $0.name == name })
        }
        let buckets = Dictionary(uniqueKeysWithValues: PlumtreeCore.descriptors.map { ($0.name, $0.buckets) })
        #expect(buckets["plumtree_graft_latency_seconds"] == [0.01, 0.05, 0.1, 0.5, 1, 5])
        #expect(buckets["plumtree_message_size_bytes"] == [100, 1024, 10240, 65536, 262144])
        #expect(buckets["plumtree_message_hops"] == [1, 2, 3, 5, 10])
        #expect(buckets["plumtree_ihave_batch_size"] == [1, 4, 8, 16, 32, 64])
    }

    @Test func profilesKeepTheDocumentedDefaults() {
        let config = PlumtreeConfig()
        #expect(config.eagerFanout == 3 && config.lazyFanout == 6)
        #expect(config.ihaveInterval == .milliseconds(100) && config.ihaveBatchSize == 16)
        #expect(config.graftTimeout == .milliseconds(500) && config.graftMaxRetries == 5)
        #expect(config.messageCacheTTL == .seconds(60) && config.messageCacheMaxSize == 10_000)
        #expect(config.optimizationThreshold == 3 && config.optimizationConfirmations == 3 && config.maxMessageSize == 65_536)
        #expect(PlumtreeConfig.lan.graftTimeout < config.graftTimeout)
        #expect(PlumtreeConfig.wan.graftTimeout > config.graftTimeout)
        #expect(PlumtreeConfig.largeCluster.lazyFanout > config.lazyFanout)
    }
}
