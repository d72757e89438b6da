import Plumtree
import ProtocolSupport
import Testing

/// The core reports every step of a Graft to its driver, which traces and logs them.
@Suite("Plumtree core: graft events for the driver")
struct GraftEventTests {
    static let id = MessageID(high: 9, low: 1)

    static func events(_ h: inout CoreHarness) -> [GraftEvent] {
        let events = h.output.compactMap { item -> GraftEvent? in
            if case .graft(let event) = item { return event }
            return nil
        }
        h.output.removeAll { if case .graft = $0 { return true } else { return false } }
        return events
    }

    @Test func aMissingMessageIsReportedPerGraftSentThenAsSucceeded() {
        var h = CoreBehaviourTests.core(eager: ["e"], lazy: ["a", "b"])
        h.receive(.ihave([.init(id: Self.id, round: 2)]), from: "a")
        h.receive(.ihave([.init(id: Self.id, round: 2)]), from: "b")
        h.advance(.milliseconds(499))
        #expect(Self.events(&h).isEmpty, "nothing is grafted before graft_timeout")
        h.advance(.milliseconds(1))
        h.advance(.milliseconds(500))
        #expect(Self.events(&h) == [.sent(id: Self.id, to: "a", attempt: 1), .sent(id: Self.id, to: "b", attempt: 2)])
        h.now = h.now + .milliseconds(20)
        h.receive(.gossip(.init(id: Self.id, round: 3, origin: "z", payload: [1])), from: "b")
        #expect(Self.events(&h) == [.succeeded(id: Self.id, from: "b", hops: 3, latency: .milliseconds(520))])
    }

    @Test func aMessageGivenUpOnIsReportedAsFailedWithItsAttempts() {
        var h = CoreBehaviourTests.core(eager: ["e"], lazy: ["a"]) { $0.graftMaxRetries = 1 }
        h.receive(.ihave([.init(id: Self.id, round: 2)]), from: "a")
        h.advance(.seconds(10))
        let events = Self.events(&h)
        #expect(events == [.sent(id: Self.id, to: "a", attempt: 1), .sent(id: Self.id, to: "a", attempt: 2), .failed(id: Self.id, attempts: 2)])
    }

    @Test func aReceivedGraftIsReportedWithWhetherItWasServed() throws {
        var h = CoreBehaviourTests.core(eager: [], lazy: ["a"])
        let id = try h.core.broadcast([5], now: h.now, into: &h.output)
        h.receive(.graft(id: id, round: 1), from: "a")
        h.receive(.graft(id: Self.id, round: 1), from: "a")
        #expect(Self.events(&h) == [.received(id: id, from: "a", served: true), .received(id: Self.id, from: "a", served: false)])
    }

    @Test func aMessageArrivingBeforeItsGraftReportsNothing() {
        var h = CoreBehaviourTests.core(eager: ["e"], lazy: ["a"])
        h.receive(.ihave([.init(id: Self.id, round: 2)]), from: "a")
        h.receive(.gossip(.init(id: Self.id, round: 1, origin: "z", payload: [1])), from: "e")
        h.advance(.seconds(10))
        #expect(Self.events(&h).isEmpty)
    }
}
