import CoreMetrics
import GossipObservability
import Testing
@testable import GossipNode

/// The stream budget's accounting, without sockets: what it admits, cuts and counts.
@Suite struct InboundStreamBudgetTests {
    func counted(_ metrics: NodeMetrics, _ reason: String) -> Double? {
        metrics.snapshot().value("memberlist_inbound_streams_refused_total", ["reason": reason])
    }

    @Test func streamsOverTheCountAreRefusedAndCountedUntilOneEnds() {
        let metrics = NodeMetrics()
        let budget = InboundStreamBudget(limits: InboundStreamLimits(maxConcurrent: 3, memoryBudget: 1000), metrics: metrics)
        let tickets = (0..<3).compactMap { _ in budget.admit() }
        #expect(tickets.count == 3)
        #expect(budget.admit() == nil)
        #expect(budget.admit() == nil)
        #expect(counted(metrics, "too_many_streams") == 2)
        budget.release(tickets[0])
        budget.release(tickets[0])  // idempotent: one place freed, not two
        #expect(budget.admit() != nil)
        #expect(budget.admit() == nil)
        #expect(metrics.snapshot().value("memberlist_inbound_streams") == 3)
        #expect(metrics.catalogueViolations.isEmpty, "\(metrics.catalogueViolations)")
    }

    @Test func theReadThatWouldPassTheBudgetCutsItsStreamOnly() throws {
        let metrics = NodeMetrics()
        let budget = InboundStreamBudget(limits: InboundStreamLimits(maxConcurrent: 10, memoryBudget: 1000), metrics: metrics)
        let first = try #require(budget.admit()), second = try #require(budget.admit())
        #expect(budget.charge(first, 600))
        #expect(budget.charge(second, 400))
        #expect(budget.bufferedBytes == 1000)
        #expect(!budget.charge(second, 1), "one byte over the budget")
        #expect(counted(metrics, "memory_budget") == 1)
        // The cut stream gave its bytes and its place back; the other keeps both.
        #expect(budget.bufferedBytes == 600)
        #expect(budget.openStreams == 1)
        #expect(!budget.charge(second, 1), "a cut stream is charged nothing more")
        #expect(budget.charge(first, 400))
        budget.release(first)
        #expect(budget.bufferedBytes == 0)
        #expect(budget.openStreams == 0)
        #expect(metrics.snapshot().value("memberlist_inbound_stream_bytes") == 0)
    }
}
