import Plumtree
import ProtocolSupport
import Testing

/// The message cache is bounded in bytes as well as in count: a flood of large payloads cannot take a
/// node's memory, evictions are counted, and a payload the cache could never hold is refused.
@Suite struct CacheByteBudgetTests {
    static func core(maxBytes: Int, maxCount: Int = 10_000) -> CoreHarness {
        var config = PlumtreeConfig()
        config.eagerFanout = 0
        config.lazyFanout = 1
        config.antiEntropyInterval = .seconds(3_600)
        config.messageCacheMaxBytes = maxBytes
        config.messageCacheMaxSize = maxCount
        return CoreHarness(config: config, peers: ["a"])
    }

    @Test func theOldestPayloadsLeaveWhenTheBytesWouldPassTheBudget() throws {
        var h = Self.core(maxBytes: 10_000)
        var ids: [MessageID] = []
        for index in 0..<25 {
            ids.append(try h.core.broadcast([UInt8](repeating: UInt8(index), count: 1_000), now: h.now, into: &h.output))
            #expect(h.core.snapshot.cacheBytes <= 10_000)
            #expect(h.metrics.value("plumtree_cache_bytes") <= 10_000)
        }
        #expect(h.core.snapshot.cacheSize == 10)
        #expect(h.core.snapshot.cacheBytes == 10_000)
        #expect(h.metrics.value("plumtree_cache_bytes") == 10_000)
        #expect(h.metrics.value("plumtree_cache_max_bytes") == 10_000)
        #expect(h.metrics.value("plumtree_cache_evictions_total", [("reason", "bytes")]) == 15)
        #expect(h.metrics.value("plumtree_cache_evictions_total", [("reason", "count")]) == 0)
        #expect(h.core.snapshot.cacheEvictions == 15)
        _ = h.drainSends()
        // The oldest went first: a Graft for it goes unanswered, one for the newest is served.
        h.receive(.graft(id: ids[14], round: 1), from: "a")
        #expect(!h.drainSends().contains { if case .gossip = $0.message { true } else { false } })
        h.receive(.graft(id: ids[15], round: 1), from: "a")
        #expect(h.drainSends().contains { if case .gossip = $0.message { true } else { false } })
    }

    @Test func receivedPayloadsAreHeldToTheSameBudget() {
        var h = Self.core(maxBytes: 5_000)
        for index in 0..<20 {
            let id = MessageID(high: 0xA5A5, low: UInt64(index + 1))
            h.receive(.gossip(.init(id: id, round: 1, origin: "a", payload: [UInt8](repeating: 7, count: 2_000))), from: "a")
        }
        #expect(h.drainDeliveries().count == 20, "the budget bounds the cache, not delivery")
        #expect(h.core.snapshot.cacheSize == 2)
        #expect(h.core.snapshot.cacheBytes == 4_000)
        #expect(h.metrics.value("plumtree_cache_evictions_total", [("reason", "bytes")]) == 18)
    }

    @Test func theCountBoundIsCountedApart() throws {
        var h = Self.core(maxBytes: 1 << 20, maxCount: 3)
        for index in 0..<5 { _ = try h.core.broadcast([UInt8(index)], now: h.now, into: &h.output) }
        #expect(h.metrics.value("plumtree_cache_evictions_total", [("reason", "count")]) == 2)
        #expect(h.metrics.value("plumtree_cache_evictions_total", [("reason", "bytes")]) == 0)
    }

    @Test func aPayloadLargerThanTheWholeBudgetIsRefused() throws {
        var h = Self.core(maxBytes: 4_096)
        _ = try h.core.broadcast([UInt8](repeating: 1, count: 1_000), now: h.now, into: &h.output)
        #expect(throws: PlumtreeBroadcastError.cacheBudgetExceeded(size: 5_000, limit: 4_096)) {
            try h.core.broadcast([UInt8](repeating: 2, count: 5_000), now: h.now, into: &h.output)
        }
        #expect(h.core.snapshot.cacheSize == 1, "the refused payload pushed nothing out")
        #expect(h.metrics.value("plumtree_messages_broadcast_total") == 1)
        let text = PlumtreeBroadcastError.cacheBudgetExceeded(size: 5_000, limit: 4_096).description
        #expect(text.contains("message_cache_max_bytes"))
    }

    @Test func theDefaultBudgetFitsASmallService() {
        #expect(PlumtreeConfig().messageCacheMaxBytes == 64 * 1024 * 1024)
        #expect(PlumtreeConfig.lan.messageCacheMaxBytes == 64 * 1024 * 1024)
    }
}
