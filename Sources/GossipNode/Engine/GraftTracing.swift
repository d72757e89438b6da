import GossipObservability
import Plumtree
import ProtocolSupport
import Tracing

/// Graft spans, fed by the Plumtree core's ``GraftEvent``s.
///
/// A missing message gets one `plumtree.graft` span from its first Graft until the message arrives or the
/// node gives up, so the span's duration is the graft latency; every Graft sent for it, retries included,
/// is an event on the span. A Graft that only moves the tree, and a Graft this node answers, are spans
/// that end at once. Loop thread only. With no tracer nothing is created: the events cost a switch.
struct GraftTracing {
    let tracer: (any Tracer)?
    /// Spans of messages still missing, by id. The core bounds how many messages it waits for; this cap
    /// only guards the tracer against a core that never reports an end.
    private var open: [MessageID: any Span] = [:]
    static let maxOpenSpans = 10_000

    init(tracer: (any Tracer)?) {
        self.tracer = tracer
    }

    /// Spans still open, for tests and shutdown.
    var openCount: Int { open.count }

    mutating func record(_ event: GraftEvent) {
        guard let tracer else { return }
        switch event {
        case .sent(nil, let peer, _):
            let span = tracer.startSpan(PlumtreeTracing.graftSpan, context: .topLevel, ofKind: .client)
            span.attributes[PlumtreeTracing.graftReasonAttribute] = "tree_repair"
            span.attributes[PlumtreeTracing.peerAttribute] = peer
            span.end()
        case .sent(let id?, let peer, let attempt):
            let span: any Span
            if let existing = open[id] {
                span = existing
            } else {
                guard open.count < Self.maxOpenSpans else { return }
                span = tracer.startSpan(PlumtreeTracing.graftSpan, context: .topLevel, ofKind: .client)
                span.attributes[PlumtreeTracing.messageIDAttribute] = id.description
                span.attributes[PlumtreeTracing.graftReasonAttribute] = "missing_message"
                open[id] = span
            }
            span.attributes[PlumtreeTracing.graftAttemptAttribute] = attempt
            span.addEvent(SpanEvent(name: PlumtreeTracing.graftSentEvent, attributes: [
                PlumtreeTracing.peerAttribute: .string(peer), PlumtreeTracing.graftAttemptAttribute: .int64(Int64(attempt)),
            ]))
        case .succeeded(let id, let peer, let hops, let latency):
            guard let span = open.removeValue(forKey: id) else { return }
            span.attributes[PlumtreeTracing.graftOutcomeAttribute] = "succeeded"
            span.attributes[PlumtreeTracing.peerAttribute] = peer
            span.attributes[PlumtreeTracing.hopsAttribute] = hops
            span.attributes[PlumtreeTracing.graftLatencyAttribute] = latency.seconds
            span.addEvent(SpanEvent(name: PlumtreeTracing.graftSucceededEvent))
            span.end()
        case .failed(let id, let attempts):
            guard let span = open.removeValue(forKey: id) else { return }
            span.attributes[PlumtreeTracing.graftOutcomeAttribute] = "failed"
            span.attributes[PlumtreeTracing.graftAttemptAttribute] = attempts
            span.addEvent(SpanEvent(name: PlumtreeTracing.graftFailedEvent))
            span.setStatus(SpanStatus(code: .error, message: "gave up after \(attempts) grafts"))
            span.end()
        case .received(let id, let peer, let served):
            let span = tracer.startSpan(PlumtreeTracing.graftServeSpan, context: .topLevel, ofKind: .server)
            if let id { span.attributes[PlumtreeTracing.messageIDAttribute] = id.description }
            span.attributes[PlumtreeTracing.peerAttribute] = peer
            span.attributes[PlumtreeTracing.graftServedAttribute] = served
            span.end()
        }
    }

    /// Ends the spans of messages still missing when the node stops.
    mutating func endAll() {
        for span in open.values {
            span.attributes[PlumtreeTracing.graftOutcomeAttribute] = "node_stopped"
            span.end()
        }
        open = [:]
    }
}
