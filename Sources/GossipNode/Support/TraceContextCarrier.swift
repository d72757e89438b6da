import GossipObservability
import Tracing

/// Trace context as it rides in a Gossip message: the tracer's injected key/value pairs, length-prefixed.
///
/// `[count u8] ([keyLen u8][key][valueLen u16 BE][value])*`, keys sorted. Decoding takes untrusted bytes:
/// anything malformed yields no context (the message is still delivered), never a crash.
enum TraceContextCarrier {
    static func encode(_ fields: [String: String], limit: Int) -> [UInt8]? {
        var bytes: [UInt8] = [UInt8(min(fields.count, 255))]
        for key in fields.keys.sorted().prefix(255) {
            let k = Array(key.utf8), v = Array((fields[key] ?? "").utf8)
            guard k.count <= 255, v.count <= Int(UInt16.max) else { return nil }
            bytes.append(UInt8(k.count))
            bytes += k
            bytes += [UInt8(v.count >> 8), UInt8(v.count & 0xff)]
            bytes += v
        }
        return bytes.count <= limit ? bytes : nil
    }

    static func decode(_ bytes: [UInt8]) -> [String: String] {
        guard let count = bytes.first else { return [:] }
        var fields: [String: String] = [:]
        var index = 1
        for _ in 0..<count {
            guard index < bytes.count else { return [:] }
            let keyLength = Int(bytes[index]); index += 1
            guard index + keyLength + 2 <= bytes.count else { return [:] }
            let key = String(decoding: bytes[index..<index + keyLength], as: UTF8.self); index += keyLength
            let valueLength = Int(bytes[index]) << 8 | Int(bytes[index + 1]); index += 2
            guard index + valueLength <= bytes.count else { return [:] }
            fields[key] = String(decoding: bytes[index..<index + valueLength], as: UTF8.self); index += valueLength
        }
        return fields
    }
}

struct DictionaryInjector: Injector {
    func inject(_ value: String, forKey key: String, into carrier: inout [String: String]) { carrier[key] = value }
}

struct DictionaryExtractor: Extractor {
    func extract(key: String, from carrier: [String: String]) -> String? { carrier[key] }
}

/// The node's spans: `plumtree.broadcast` at the origin, carrying its context in the Gossip message, and
/// `plumtree.deliver` at every receiver, a child of the origin's span, so a tracer sees the path hop by hop.
/// With no tracer configured or bootstrapped nothing is created or encoded.
struct NodeTracing: Sendable {
    let tracer: (any Tracer)?
    let contextLimit: Int

    init(configured: (any Tracer)?, contextLimit: Int) {
        let candidate: any Tracer = configured ?? InstrumentationSystem.tracer
        tracer = candidate is NoOpTracer ? nil : candidate
        self.contextLimit = contextLimit
    }

    /// Starts the broadcast span and returns it with the context bytes to carry.
    func startBroadcast(size: Int) -> (span: (any Span)?, context: [UInt8]?) {
        guard let tracer else { return (nil, nil) }
        let span = tracer.startSpan(PlumtreeTracing.broadcastSpan, context: InstrumentationContext.current ?? .topLevel, ofKind: .producer)
        span.attributes[PlumtreeTracing.payloadBytesAttribute] = size
        var carrier: [String: String] = [:]
        tracer.inject(span.context, into: &carrier, using: DictionaryInjector())
        return (span, TraceContextCarrier.encode(carrier, limit: contextLimit))
    }

    func delivered(id: String, origin: String, hops: Int, size: Int, context bytes: [UInt8]?) {
        guard let tracer else { return }
        var context = InstrumentationContext.topLevel
        if let bytes { tracer.extract(TraceContextCarrier.decode(bytes), into: &context, using: DictionaryExtractor()) }
        let span = tracer.startSpan(PlumtreeTracing.deliverSpan, context: context, ofKind: .consumer)
        span.attributes[PlumtreeTracing.messageIDAttribute] = id
        span.attributes[PlumtreeTracing.originAttribute] = origin
        span.attributes[PlumtreeTracing.hopsAttribute] = hops
        span.attributes[PlumtreeTracing.payloadBytesAttribute] = size
        span.end()
    }
}
