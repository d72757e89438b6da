import CoreMetrics
import GossipObservability

/// How many inbound memberlist streams a node reads at once and the bytes they hold together, against
/// ``InboundStreamLimits``; counts what it refuses. Loop thread only.
///
/// Without it a peer could open thousands of streams, or many slow ones each declaring 19 MiB, and take
/// the node's memory (16,000 streams held at once were measured, and 50 slow 19 MiB streams took a node
/// to 664 MB). Bytes are charged as they are read, not as declared: a declaration costs nothing until its
/// bytes arrive, so a small honest stream is never refused for what a liar announced.
final class InboundStreamBudget {
    /// One admitted stream's share: what it has been charged, returned once when it ends.
    final class Ticket {
        fileprivate var charged = 0
        fileprivate var released = false
    }

    let limits: InboundStreamLimits
    private(set) var openStreams = 0
    private(set) var bufferedBytes = 0
    private let refusedTooMany: Counter
    private let cutForMemory: Counter
    private let openGauge: Gauge
    private let bytesGauge: Gauge

    init(limits: InboundStreamLimits, metrics: any MetricsFactory) {
        self.limits = limits
        let refused = MetricContract.inboundStreamsRefused.name
        refusedTooMany = Counter(label: refused, dimensions: [("reason", "too_many_streams")], factory: metrics)
        cutForMemory = Counter(label: refused, dimensions: [("reason", "memory_budget")], factory: metrics)
        openGauge = Gauge(label: MetricContract.inboundStreamsOpen.name, factory: metrics)
        bytesGauge = Gauge(label: MetricContract.inboundStreamBytes.name, factory: metrics)
    }

    /// A ticket for a new stream, or nil (counted) when ``InboundStreamLimits/maxConcurrent`` are open.
    func admit() -> Ticket? {
        guard openStreams < limits.maxConcurrent else {
            refusedTooMany.increment()
            return nil
        }
        openStreams += 1
        openGauge.record(openStreams)
        return Ticket()
    }

    /// Charges `count` more bytes to `ticket`'s stream. False (counted, and the ticket released) when the
    /// bytes buffered across streams would pass ``InboundStreamLimits/memoryBudget``: cut that stream.
    func charge(_ ticket: Ticket, _ count: Int) -> Bool {
        guard !ticket.released else { return false }
        guard count <= limits.memoryBudget - bufferedBytes else {
            cutForMemory.increment()
            release(ticket)
            return false
        }
        ticket.charged += count
        bufferedBytes += count
        bytesGauge.record(bufferedBytes)
        return true
    }

    /// The stream ended, or no longer holds its bytes: returns its share. Idempotent.
    func release(_ ticket: Ticket) {
        guard !ticket.released else { return }
        ticket.released = true
        bufferedBytes -= ticket.charged
        ticket.charged = 0
        openStreams -= 1
        openGauge.record(openStreams)
        bytesGauge.record(bufferedBytes)
    }
}
