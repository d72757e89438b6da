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
            if let first = nodes.first { configuration.seeds = [.address(try await first.boundAddress)] }
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

    @Test func aNodeThatLearnsOfAMessageByIHaveRecordsAGraftSpan() async throws {
        let tracer = RecordingTracer()
        // Both ends hold their link as lazy: the broadcast reaches the receiver as an IHave only, and the
        // receiver must graft it from the origin.
        let (origin, receiver) = try await LiveHealthTests.lazyPair(
            "graft-trace", origin: { $0.tracer = tracer }, receiver: { $0.tracer = tracer; $0.plumtree.graftTimeout = .milliseconds(200) })
        let id = try await origin.broadcast(Array("grafted".utf8))
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline, !tracer.finished.contains(where: { $0.name == "plumtree.graft" && $0.attributes["plumtree.message_id"] == id }) {
            try await Task.sleep(for: .milliseconds(50))
        }
        let spans = tracer.finished
        let graft = try #require(spans.first { $0.name == "plumtree.graft" && $0.attributes["plumtree.message_id"] == id })
        #expect(graft.attributes["plumtree.graft.reason"] == "missing_message")
        #expect(graft.attributes["plumtree.graft.outcome"] == "succeeded")
        #expect(graft.attributes["plumtree.peer"] == "graft-trace-origin")
        #expect(graft.attributes["plumtree.hops"] == "1")
        #expect(graft.attributes["plumtree.graft.attempts"] == "1")
        #expect(graft.events == ["graft.sent", "graft.succeeded"])
        #expect(!graft.isError)
        let serve = try #require(spans.first { $0.name == "plumtree.graft.serve" && $0.attributes["plumtree.message_id"] == id })
        #expect(serve.attributes["plumtree.peer"] == "graft-trace-receiver")
        #expect(serve.attributes["plumtree.graft.served"] == "true")
        #expect(spans.contains { $0.name == "plumtree.deliver" && $0.attributes["plumtree.message_id"] == id })
        await receiver.shutdown()
        await origin.shutdown()
    }

    @Test func aGraftGivenUpOnEndsItsSpanAsAnError() async throws {
        let tracer = RecordingTracer()
        // The origin's cache holds one message: of two broadcasts announced together, the first is gone
        // when the receiver grafts it, and the receiver gives up after its single attempt.
        let (origin, receiver) = try await LiveHealthTests.lazyPair(
            "graft-fail-trace", origin: { $0.plumtree.messageCacheMaxSize = 1 },
            receiver: { $0.tracer = tracer; $0.plumtree.graftTimeout = .seconds(1); $0.plumtree.graftMaxRetries = 0 })
        let lost = try await origin.broadcast(Array("lost".utf8))
        _ = try await origin.broadcast(Array("kept".utf8))
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline, !tracer.finished.contains(where: { $0.attributes["plumtree.graft.outcome"] == "failed" }) {
            try await Task.sleep(for: .milliseconds(50))
        }
        let failed = try #require(tracer.finished.first { $0.name == "plumtree.graft" && $0.attributes["plumtree.message_id"] == lost })
        #expect(failed.attributes["plumtree.graft.outcome"] == "failed")
        #expect(failed.events == ["graft.sent", "graft.failed"])
        #expect(failed.isError)
        await receiver.shutdown()
        await origin.shutdown()
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
        var events: [String] = []
        var isError = false
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
    private let state: Mutex<(name: String, attributes: SpanAttributes, ended: Bool, events: [String], isError: Bool)>

    init(tracer: RecordingTracer, name: String, context: InstrumentationContext, parentSpanID: String?) {
        self.tracer = tracer
        self.context = context
        self.parentSpanID = parentSpanID
        state = Mutex((name, [:], false, [], false))
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
    func setStatus(_ status: SpanStatus) { state.withLock { $0.isError = status.code == .error } }
    func addEvent(_ event: SpanEvent) { state.withLock { $0.events.append(event.name) } }
    func addLink(_ link: SpanLink) {}
    func recordError<Instant: TracerInstant>(_ error: any Error, attributes: SpanAttributes, at instant: @autoclosure () -> Instant) {}

    func end<Instant: TracerInstant>(at instant: @autoclosure () -> Instant) {
        let (name, attributes, events, isError) = state.withLock { state -> (String, SpanAttributes, [String], Bool) in
            state.ended = true
            return (state.name, state.attributes, state.events, state.isError)
        }
        var flat: [String: String] = [:]
        attributes.forEach { key, value in
            switch value {
            case .string(let text): flat[key] = text
            case .int64(let number): flat[key] = String(number)
            case .int32(let number): flat[key] = String(number)
            case .bool(let flag): flat[key] = String(flag)
            case .double(let number): flat[key] = String(number)
            default: flat[key] = "\(value)"
            }
        }
        let ids = context[RecordingTracer.SpanIDs.self]
        tracer.record(.init(
            name: name, traceID: ids?.trace ?? "", spanID: ids?.span ?? "", parentSpanID: parentSpanID, attributes: flat,
            events: events, isError: isError))
    }
}
