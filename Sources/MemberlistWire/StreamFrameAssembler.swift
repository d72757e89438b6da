// Knowing when a stream's one message has fully arrived, fed read by read, in work linear in the stream.
//
// ``StreamReader`` decodes; this only finds the end. A driver feeds it every read and hands the bytes to the
// decoder once, when it says the message is complete. It keeps its place between feeds: the type byte and
// the small headers that carry lengths (push/pull, user message) are decoded once each, msgpack values are
// walked by ``MsgpackSkipper`` (header bytes only), and raw contents are jumped over. So each byte is looked
// at a bounded number of times whatever the read sizes, where re-parsing the buffer after every read made a
// 19 MiB stream read in small pieces cost hours of CPU on the event loop.
//
// A request may begin with the cluster label header: it is checked once whole (so another cluster's stream
// is refused before its message is read) and kept in ``bytes``, which the core checks again when decoding;
// the message is then found from `base`, the offset right after it.

/// What a ``StreamFrameAssembler`` says after a feed.
public enum StreamFrameProgress: Hashable, Sendable {
    /// The message is not complete yet.
    case needMore
    /// The message takes the first `length` bytes of ``StreamFrameAssembler/bytes``.
    case complete(length: Int)
    /// No continuation can make the stream valid; feeding more changes nothing.
    case invalid(WireError)
}

/// Collects one memberlist stream message from its reads and says when it is complete.
public struct StreamFrameAssembler: Sendable {
    /// Whether a keyring is configured (an encrypted stream is refused without one).
    public let hasKeyring: Bool
    /// With a keyring: refuse a plaintext stream (memberlist's GossipVerifyIncoming).
    public let verifyIncoming: Bool
    public let maxSize: Int
    /// Our label: checks the header that may lead a request.
    public let label: LabelPolicy
    public let direction: StreamDirection
    /// The bytes received so far (at most the message, plus what arrived with its last piece).
    public private(set) var bytes: [UInt8] = []
    /// Bytes looked at so far: each byte appended counts once, once more if walked as a msgpack header,
    /// and once more if decoded as the push/pull or user header: at most three looks per byte, whatever the
    /// read sizes. Deterministic, so tests and the fuzzer hold the assembler to it.
    public private(set) var work = 0

    private enum Phase: Sendable {
        /// A request: waiting for the label header, or for a first byte that shows there is none.
        case label
        case start
        /// An encrypted stream: complete at this many bytes, once its 5-byte header has arrived.
        case encrypted
        /// Walking msgpack values; then `next`.
        case walking(MsgpackSkipper, then: AfterWalk)
        /// Raw bytes to the end: complete at this offset.
        case raw(end: Int)
        case done(StreamFrameProgress)
    }

    private enum AfterWalk: Sendable {
        /// The walked values were the whole message.
        case end
        /// The walked value was a push/pull header: decode it, then walk its node states.
        case pushPullHeader
        /// The node states are walked: the user state follows, this long.
        case userState(Int)
        /// The walked value was a user message header: decode it, then the payload follows.
        case userHeader
    }

    private var phase: Phase
    /// Where the message starts: after the label header, if any.
    private var base = 0

    public init(hasKeyring: Bool, verifyIncoming: Bool = true, maxSize: Int = StreamFrame.maxSize,
                label: LabelPolicy = .none, direction: StreamDirection = .request) {
        self.hasKeyring = hasKeyring
        self.verifyIncoming = verifyIncoming
        self.maxSize = maxSize
        self.label = label
        self.direction = direction
        phase = direction == .request ? .label : .start
    }

    /// The most bytes a stream may take: its label header (once read), the message and, when encrypted,
    /// its header.
    private var byteLimit: Int { maxSize + StreamFrame.encryptHeaderSize + base }

    /// The answer so far, without feeding anything.
    public var progress: StreamFrameProgress {
        if case .done(let answer) = phase { return answer }
        return .needMore
    }

    /// Adds one read. Once complete or invalid, the answer sticks and further bytes are not kept.
    public mutating func feed(_ chunk: UnsafeRawBufferPointer) -> StreamFrameProgress {
        if case .done(let answer) = phase { return answer }
        // Never hold more than the limit: a stream still incomplete past it is refused. Before a request's
        // label header is read, the limit grows by the header the stream begins with.
        var limit = byteLimit
        if case .label = phase { limit += LabelHeader.leadingLength(bytes, then: chunk) }
        let room = limit - bytes.count
        let taken = min(room, chunk.count)
        if taken > 0, let base = chunk.baseAddress {
            // As typed bytes, so the append is one copy (a raw buffer's slice goes byte by byte in debug builds).
            base.withMemoryRebound(to: UInt8.self, capacity: taken) {
                bytes.append(contentsOf: UnsafeBufferPointer(start: $0, count: taken))
            }
        }
        work += taken
        let answer = step()
        if case .needMore = answer, chunk.count > room {
            return finish(.invalid(WireError(.tooLarge, "stream over \(maxSize) bytes")))
        }
        return answer
    }

    /// Adds one read held in an array.
    public mutating func feed(_ chunk: [UInt8]) -> StreamFrameProgress {
        chunk.withUnsafeBytes { feed($0) }
    }

    private mutating func finish(_ answer: StreamFrameProgress) -> StreamFrameProgress {
        phase = .done(answer)
        return answer
    }

    /// Moves through the phases as far as the bytes allow.
    private mutating func step() -> StreamFrameProgress {
        do throws(WireError) {
            while true {
                switch phase {
                case .done(let answer):
                    return answer
                case .label:
                    // Looks at most the 257 header bytes, once each, when the header is whole.
                    switch try LabelHeader.scan(bytes) {
                    case .incomplete:
                        return .needMore
                    case .absent:
                        guard !bytes.isEmpty else { return .needMore }
                        try label.check(received: nil)
                    case .present(let received, let end):
                        work += end
                        try label.check(received: received)
                        base = end
                    }
                    phase = .start
                case .start:
                    guard bytes.count > base else { return .needMore }
                    work += 1
                    phase = try startPhase(bytes[base])
                case .encrypted:
                    guard bytes.count >= base + StreamFrame.encryptHeaderSize else { return .needMore }
                    work += 4
                    let length = Int(bytes[base + 1]) << 24 | Int(bytes[base + 2]) << 16
                        | Int(bytes[base + 3]) << 8 | Int(bytes[base + 4])
                    guard length <= maxSize else { throw WireError(.tooLarge, "encrypted stream declares \(length) bytes") }
                    phase = .raw(end: base + StreamFrame.encryptHeaderSize + length)
                case .raw(let end):
                    guard end <= byteLimit else { throw WireError(.tooLarge, "stream declares \(end) bytes") }
                    guard bytes.count >= end else { return .needMore }
                    return finish(.complete(length: end))
                case .walking(var skipper, let next):
                    let before = skipper.bytesExamined
                    let walked = try skipper.advance(bytes)
                    work += skipper.bytesExamined - before
                    guard skipper.offset <= byteLimit else {
                        throw WireError(.tooLarge, "stream declares more than \(maxSize) bytes")
                    }
                    guard walked else {
                        phase = .walking(skipper, then: next)
                        return .needMore
                    }
                    phase = try afterWalk(next, from: skipper.offset)
                }
            }
        } catch {
            return finish(.invalid(error))
        }
    }

    private func startPhase(_ first: UInt8) throws(WireError) -> Phase {
        if first == MessageType.encrypt.rawValue {
            guard hasKeyring else { throw WireError(.decryptFailed, "encrypted stream but no keyring is configured") }
            return .encrypted
        }
        if hasKeyring && verifyIncoming {
            throw WireError(.plaintextRefused, "plaintext stream where encryption is required")
        }
        guard let type = MessageType(rawValue: first) else {
            throw WireError(.unknownType, "stream message type \(first)")
        }
        switch type {
        case .compress, .ping, .ackResp, .errResp: return walk(1, from: base + 1, then: .end)
        case .pushPull: return walk(1, from: base + 1, then: .pushPullHeader)
        case .user: return walk(1, from: base + 1, then: .userHeader)
        case .indirectPing, .suspect, .alive, .dead, .compound, .encrypt, .nackResp, .hasCRC:
            throw WireError(.unexpectedType, "message type \(type.rawValue) is not valid as a stream message")
        }
    }

    private func walk(_ values: Int, from offset: Int, then next: AfterWalk) -> Phase {
        .walking(MsgpackSkipper(values: values, at: offset, maxValues: maxSize), then: next)
    }

    private mutating func afterWalk(_ next: AfterWalk, from end: Int) throws(WireError) -> Phase {
        switch next {
        case .end:
            return .raw(end: end)
        case .pushPullHeader:
            // The header is whole: decode it once (it is a few bytes).
            var reader = MsgpackReader(bytes, start: base + 1, end: end)
            let header = try PushPullHeader(decodingBody: &reader)
            work += end - base - 1
            guard header.nodes <= maxSize, header.userStateLen <= maxSize else {
                throw WireError(.tooLarge, "push/pull declares \(header.nodes) nodes and \(header.userStateLen) bytes of state")
            }
            return walk(header.nodes, from: end, then: .userState(header.userStateLen))
        case .userState(let length):
            return .raw(end: end + length)
        case .userHeader:
            var reader = MsgpackReader(bytes, start: base + 1, end: end)
            let header = try UserMsgHeader(decodingBody: &reader)
            work += end - base - 1
            guard header.userMsgLen <= maxSize else {
                throw WireError(.tooLarge, "user message declares \(header.userMsgLen) bytes")
            }
            return .raw(end: end + header.userMsgLen)
        }
    }
}
