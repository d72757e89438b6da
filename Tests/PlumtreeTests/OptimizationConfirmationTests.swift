import Plumtree
import ProtocolSupport
import Testing

@Suite("Tree optimization waits for confirmations")
struct OptimizationConfirmationTests {
    /// A core with parent "p" (eager) and announcer "l" (lazy).
    static func core(confirmations: Int = 2, configure: (inout PlumtreeConfig) -> Void = { _ in }) -> CoreHarness {
        var config = PlumtreeConfig()
        config.eagerFanout = 1
        config.lazyFanout = 1
        config.antiEntropyInterval = .seconds(3_600)
        config.optimizationConfirmations = confirmations
        configure(&config)
        return CoreHarness(config: config, peers: ["p", "l"])
    }

    /// Message `number` arrives from "p" with `round`, then "l" announces it with `announced`; returns the
    /// Grafts and Prunes this caused. Time moves on past the prune settling and the cooldown first, so that
    /// only the confirmation rule decides.
    static func compare(_ h: inout CoreHarness, _ number: UInt64, round: UInt16, announced: UInt16) -> [(to: String, message: PlumtreeMessage)] {
        h.advance(.seconds(2))
        _ = h.drainSends()
        let id = MessageID(high: 42, low: number)
        h.receive(.gossip(.init(id: id, round: round, origin: "z", payload: [1])), from: "p")
        h.receive(.ihave([.init(id: id, round: announced)]), from: "l")
        return h.drainSends().filter {
            switch $0.message {
            case .graft, .prune: true
            default: false
            }
        }
    }

    @Test func aSwapNeedsTheConfiguredConfirmations() {
        var h = Self.core(confirmations: 3)
        #expect(Self.compare(&h, 1, round: 6, announced: 3).isEmpty, "first confirmation")
        // The same message announced again is not a second confirmation.
        h.receive(.ihave([.init(id: MessageID(high: 42, low: 1), round: 3)]), from: "l")
        #expect(!h.drainSends().contains { if case .graft = $0.message { true } else { false } })
        #expect(Self.compare(&h, 2, round: 7, announced: 2).isEmpty, "second confirmation")
        #expect(h.core.snapshot.eagerPeers == ["p"])
        let swap = Self.compare(&h, 3, round: 6, announced: 3)
        #expect(swap.contains { $0.to == "l" && $0.message == .graft(id: nil, round: 3) })
        #expect(swap.contains { $0.to == "p" && $0.message == .prune })
        #expect(h.core.snapshot.eagerPeers == ["l"])
        #expect(h.core.snapshot.lazyPeers == ["p"])
    }

    @Test func aMessageWithoutGainStartsTheCountAgain() {
        var h = Self.core()
        #expect(Self.compare(&h, 1, round: 6, announced: 3).isEmpty)
        // The announcer's path is no shorter this time: the first confirmation is forgotten.
        #expect(Self.compare(&h, 2, round: 5, announced: 5).isEmpty)
        #expect(Self.compare(&h, 3, round: 6, announced: 3).isEmpty, "counting starts again at one")
        // A gain below the threshold neither confirms nor refutes.
        #expect(Self.compare(&h, 4, round: 5, announced: 4).isEmpty)
        #expect(h.core.snapshot.eagerPeers == ["p"])
        let swap = Self.compare(&h, 5, round: 6, announced: 2)
        #expect(swap.contains { $0.to == "l" && $0.message == .graft(id: nil, round: 2) })
        #expect(swap.contains { $0.to == "p" && $0.message == .prune })
        #expect(h.core.snapshot.eagerPeers == ["l"])
    }

    @Test func confirmationsOlderThanTheCacheAreForgotten() {
        var h = Self.core { $0.messageCacheTTL = .seconds(3) }
        #expect(Self.compare(&h, 1, round: 6, announced: 3).isEmpty)
        h.advance(.seconds(5))
        #expect(Self.compare(&h, 2, round: 6, announced: 3).isEmpty, "the first one expired")
        let swap = Self.compare(&h, 3, round: 6, announced: 3)
        #expect(swap.contains { $0.to == "p" && $0.message == .prune })
    }

    /// Two announcers showing a gain over the same parent in turn each keep their own count: a new pair
    /// does not evict the one still gathering confirmations.
    @Test func interleavedPairsKeepTheirOwnCounts() {
        var config = PlumtreeConfig()
        config.eagerFanout = 1
        config.lazyFanout = 2
        config.antiEntropyInterval = .seconds(3_600)
        config.optimizationConfirmations = 2
        var h = CoreHarness(config: config, peers: ["p", "l", "m"])
        #expect(h.core.snapshot.eagerPeers == ["p"])
        func compare(_ number: UInt64, announcer: String) -> [(to: String, message: PlumtreeMessage)] {
            h.advance(.seconds(2))
            _ = h.drainSends()
            let id = MessageID(high: 42, low: number)
            h.receive(.gossip(.init(id: id, round: 6, origin: "z", payload: [1])), from: "p")
            h.receive(.ihave([.init(id: id, round: 3)]), from: announcer)
            return h.drainSends().filter { if case .prune = $0.message { true } else { false } }
        }
        #expect(compare(1, announcer: "l").isEmpty)
        #expect(compare(2, announcer: "m").isEmpty)
        let swap = compare(3, announcer: "l")
        #expect(swap.contains { $0.to == "p" })
        #expect(h.core.snapshot.eagerPeers == ["l"])
    }

    @Test func oneConfirmationIsThePapersRule() {
        var h = Self.core(confirmations: 1)
        let swap = Self.compare(&h, 1, round: 6, announced: 3)
        #expect(swap.contains { $0.to == "l" && $0.message == .graft(id: nil, round: 3) })
        #expect(swap.contains { $0.to == "p" && $0.message == .prune })
    }
}
