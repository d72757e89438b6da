import GossipNode
import Synchronization
import Testing
import Tracing

/// Spans of a broadcast across real nodes, recorded by a tracer of the test's own (no global bootstrap).
@Suite struct TracingTests {
    @Test func deliverySpansAreChildrenOfTheBroadcastSpanOnEveryNode() async throws {
        let tracer = RecordingTracer()
        var nodes: [GossipNode] = []
        for index in 1...3 {
            var configuration = GossipNodeConfiguration(
                name: "trace-\(index)", bind: SocketAddress(ipv4: 127, 0, 0, 1, port: 0), profile: .local)
            configuration.logLevel = .error
            configuration.tracer = tracer
            if let first = nodes.first { configuration.seeds = [try await first.boundAddress] }
            let node = try await GossipNode(configuration: configuration)
            try await node.start()
            nodes.append(node)
        }
        let id = try await nodes[0].broadcast(Array("traced".utf8))
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline, tracer.finished.filter({ $0.name == "plumtree.deliver" }).count < 2 {
            try await Task.sleep(for: .milliseconds(50))
        }
        let spans = tracer.finished
        let broadcast = try #require(spans.first { $0.name == "plumtree.broadcast" })
        #expect(broadcast.attributes["plumtree.message_id"] == id)
        let deliveries = spans.filter { $0.name == "plumtree.deliver" }
        #expect(deliveries.count == 2, "one delivery span per receiving node")
        for delivery in deliveries {
            #expect(delivery.traceID == broadcast.traceID, "the receiver continues the origin's trace")
            #expect(delivery.parentSpanID == broadcast.spanID)
            #expect(delivery.attributes["plumtree.message_id"] == id)
            #expect(delivery.attributes["plumtree.origin"] == "trace-1")
            #expect(delivery.attributes["plumtree.hops"].flatMap(Int.init) ?? 0 >= 1)
        }
        for node in nodes { await node.shutdown() }
    }
}

/// A tracer that keeps finished spans in memory; trace and span ids travel as two carrier fields.
final class RecordingTracer: Tracer, Sendable {
    struct Finished: Sendable {
        var name: String
        var traceID: String
        var spanID: String
        var parentSpanID: String?
        var attributes: [String: String]
    }

    enum SpanIDs: InstrumentationContextKey { typealias Value = (trace: String, span: String) }

    private let spans = Mutex([Finished]())
    private let counter = Mutex(0)

    var finished: [Finished] { spans.withLock { $0 } }

    func nextID() -> String { counter.withLock { $0 += 1; return "id\($0)" } }
    func record(_ span: Finished) { spans.withLock { $0.append(span) } }

    func startSpan<Instant: TracerInstant>(
        _ operationName: String, context: @autoclosure () -> InstrumentationContext, ofKind kind: SpanKind,
        at instant: @autoclosure () -> Instant, function: String, file fileID: String, line: UInt
    ) -> RecordingSpan {
        var context = context()
        let parent = context[SpanIDs.self]
        let ids = (trace: parent?.trace ?? nextID(), span: nextID())
        context[SpanIDs.self] = ids
        return RecordingSpan(tracer: self, name: operationName, context: context, parentSpanID: parent?.span)
    }

    func activeSpan(identifiedBy context: InstrumentationContext) -> RecordingSpan? { nil }
    func forceFlush() {}

    func inject<Carrier, Inject>(_ context: InstrumentationContext, into carrier: inout Carrier, using injector: Inject)
    where Inject: Injector, Inject.Carrier == Carrier {
        guard let ids = context[SpanIDs.self] else { return }
        injector.inject(ids.trace, forKey: "trace-id", into: &carrier)
        injector.inject(ids.span, forKey: "span-id", into: &carrier)
    }

    func extract<Carrier, Extract>(_ carrier: Carrier, into context: inout InstrumentationContext, using extractor: Extract)
    where Extract: Extractor, Extract.Carrier == Carrier {
        guard let trace = extractor.extract(key: "trace-id", from: carrier),
              let span = extractor.extract(key: "span-id", from: carrier) else { return }
        context[SpanIDs.self] = (trace, span)
    }
}

final class RecordingSpan: Span, Sendable {
    let tracer: RecordingTracer
    let context: InstrumentationContext
    let parentSpanID: String?
    private let state: Mutex<(name: String, attributes: SpanAttributes, ended: Bool)>

    init(tracer: RecordingTracer, name: String, context: InstrumentationContext, parentSpanID: String?) {
        self.tracer = tracer
        self.context = context
        self.parentSpanID = parentSpanID
        state = Mutex((name, [:], false))
    }

    var operationName: String {
        get { state.withLock { $0.name } }
        set { state.withLock { $0.name = newValue } }
    }
    var attributes: SpanAttributes {
        get { state.withLock { $0.attributes } }
        set { state.withLock { $0.attributes = newValue } }
    }
    var isRecording: Bool { state.withLock { !$0.ended } }
    func setStatus(_ status: SpanStatus) {}
    func addEvent(_ event: SpanEvent) {}
    func addLink(_ link: SpanLink) {}
    func recordError<Instant: TracerInstant>(_ error: any Error, attributes: SpanAttributes, at instant: @autoclosure () -> Instant) {}

    func end<Instant: TracerInstant>(at instant: @autoclosure () -> Instant) {
        let (name, attributes) = state.withLock { state -> (String, SpanAttributes) in
            state.ended = true
            return (state.name, state.attributes)
        }
        var flat: [String: String] = [:]
        attributes.forEach { key, value in
            switch value {
            case .string(let text): flat[key] = text
            case .int64(let number): flat[key] = String(number)
            case .int32(let number): flat[key] = String(number)
            default: flat[key] = "\(value)"
            }
        }
        let ids = context[RecordingTracer.SpanIDs.self]
        tracer.record(.init(name: name, traceID: ids?.trace ?? "", spanID: ids?.span ?? "", parentSpanID: parentSpanID, attributes: flat))
    }
}
