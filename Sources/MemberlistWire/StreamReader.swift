// Reading one stream message as its bytes arrive. A plaintext stream has no length prefix, so the reader
// parses as far as it can on every feed; it keeps the push/pull node states parsed so far, so a large
// exchange arriving in many pieces is not parsed again from the start each time. Encrypted streams declare
// their length, and nothing is decrypted before all of it is there. A request may start with the cluster
// label header: it is checked as soon as it is whole, then dropped from the buffer, so everything after it
// reads the message from offset 0 as before.

/// What a ``StreamReader`` says after being fed.
public enum StreamReadResult: Hashable, Sendable {
    /// The message is not complete yet.
    case needMore
    /// The message, and how many bytes of the stream it took (anything after it belongs to nothing).
    case complete(StreamMessage, consumed: Int)
    /// The stream is refused; feeding it more changes nothing.
    case failed(WireError)
}

/// Reads the one message a memberlist stream carries, fed with bytes as they arrive.
public struct StreamReader: Sendable {
    public let keyring: Keyring?
    /// With a keyring: refuse a plaintext stream (memberlist's GossipVerifyIncoming).
    public let verifyIncoming: Bool
    public let maxSize: Int
    /// Our label: checks a request's header, and is authenticated data of encrypted requests and replies.
    public let label: LabelPolicy
    public let direction: StreamDirection

    /// The bytes after the label header (the header is dropped once checked).
    private var buffer: [UInt8] = []
    /// The length of the checked label header (0 without one); nil until it is known.
    private var headerLength: Int?
    private var progress = PlainProgress()
    private var result: StreamReadResult = .needMore

    public init(keyring: Keyring? = nil, verifyIncoming: Bool = true, maxSize: Int = StreamFrame.maxSize,
                label: LabelPolicy = .none, direction: StreamDirection = .request) {
        self.keyring = keyring
        self.verifyIncoming = verifyIncoming
        self.maxSize = maxSize
        self.label = label
        self.direction = direction
        if direction == .reply { headerLength = 0 }
    }

    /// Adds `bytes` and says whether the message is complete. Once complete or failed, the answer sticks.
    public mutating func feed(_ bytes: some Collection<UInt8>) -> StreamReadResult {
        guard case .needMore = result else { return result }
        // Never hold more than the cap: keep what fits, and if the message is still incomplete, refuse.
        // The buffer holds no label header once it is checked; until then, room for the one it begins with.
        let header = headerLength == nil ? LabelHeader.leadingLength(buffer, then: bytes) : 0
        let room = maxSize + StreamFrame.encryptHeaderSize + header - buffer.count
        let overflowing = bytes.count > room
        if overflowing {
            buffer.append(contentsOf: bytes.prefix(room))
        } else {
            buffer.append(contentsOf: bytes)
        }
        do {
            if let done = try step() {
                result = .complete(done.0, consumed: (headerLength ?? 0) + done.1)
            } else if overflowing {
                result = .failed(WireError(.tooLarge, "stream over \(maxSize) bytes"))
            }
        } catch {
            result = .failed(error)
        }
        return result
    }

    /// The peer closed the stream: an incomplete message becomes `truncated`.
    public mutating func finish() -> StreamReadResult {
        if case .needMore = result {
            result = .failed(WireError(.truncated, "stream closed after \(buffer.count) bytes, mid-message"))
        }
        return result
    }

    /// Decodes a whole stream held in one buffer (what a test or a simulator has at hand).
    public static func decode(
        _ bytes: [UInt8], keyring: Keyring? = nil, verifyIncoming: Bool = true, label: LabelPolicy = .none,
        direction: StreamDirection = .request
    ) throws(WireError) -> StreamMessage {
        var reader = StreamReader(keyring: keyring, verifyIncoming: verifyIncoming, label: label, direction: direction)
        switch reader.feed(bytes) {
        case .complete(let message, _): return message
        case .failed(let error): throw error
        case .needMore: throw WireError(.truncated, "stream of \(bytes.count) bytes ends mid-message")
        }
    }

    /// Checks the label header once it is whole (memberlist handleConn, before reading the message).
    private mutating func takeLabelHeader() throws(WireError) -> Bool {
        if headerLength != nil { return true }
        switch try LabelHeader.scan(buffer) {
        case .incomplete:
            return false
        case .absent:
            // An empty buffer cannot tell yet whether a header comes.
            guard !buffer.isEmpty else { return false }
            try label.check(received: nil)
            headerLength = 0
        case .present(let received, let end):
            try label.check(received: received)
            buffer.removeFirst(end)
            headerLength = end
        }
        return true
    }

    private mutating func step() throws(WireError) -> (StreamMessage, Int)? {
        guard try takeLabelHeader() else { return nil }
        guard let first = buffer.first else { return nil }
        if first == MessageType.encrypt.rawValue {
            guard let keyring else {
                throw WireError(.decryptFailed, "encrypted stream but no keyring is configured")
            }
            guard buffer.count >= StreamFrame.encryptHeaderSize else { return nil }
            let length = Int(buffer[1]) << 24 | Int(buffer[2]) << 16 | Int(buffer[3]) << 8 | Int(buffer[4])
            guard length <= maxSize else { throw WireError(.tooLarge, "encrypted stream declares \(length) bytes") }
            let total = StreamFrame.encryptHeaderSize + length
            guard buffer.count >= total else { return nil }
            let header = Array(buffer[0..<StreamFrame.encryptHeaderSize])
            // memberlist decryptRemoteState: [10][length] then our label, as associated data.
            let plain = try keyring.decrypt(buffer, range: StreamFrame.encryptHeaderSize..<total,
                                            associatedData: header + label.label)
            return (try StreamReader.decodeComplete(plain, maxSize: maxSize), total)
        }
        if keyring != nil && verifyIncoming {
            throw WireError(.plaintextRefused, "plaintext stream where encryption is required")
        }
        if first == MessageType.compress.rawValue {
            var reader = MsgpackReader(buffer, start: 1)
            let compress: Compress
            do throws(WireError) {
                compress = try Compress(decodingBody: &reader)
            } catch where error.reason == .truncated {
                return nil
            }
            let inflated = try Packet.inflate(compress, maxOutput: maxSize)
            return (try StreamReader.decodeInner(inflated, maxSize: maxSize), reader.offset)
        }
        return try progress.advance(buffer, complete: false, maxSize: maxSize)
    }

    /// The decrypted content of an encrypted stream: a compress envelope or a message, complete.
    static func decodeComplete(_ plain: [UInt8], maxSize: Int) throws(WireError) -> StreamMessage {
        if plain.first == MessageType.compress.rawValue {
            var reader = MsgpackReader(plain, start: 1)
            let inflated = try Packet.inflate(try Compress(decodingBody: &reader), maxOutput: maxSize)
            return try decodeInner(inflated, maxSize: maxSize)
        }
        return try decodeInner(plain, maxSize: maxSize)
    }

    /// A complete message without envelopes; it must all be there.
    static func decodeInner(_ bytes: [UInt8], maxSize: Int) throws(WireError) -> StreamMessage {
        var progress = PlainProgress()
        guard let (message, _) = try progress.advance(bytes, complete: true, maxSize: maxSize) else {
            throw WireError(.truncated, "stream message ends early")
        }
        return message
    }
}

/// How far a plaintext message has been parsed: the type, then for push/pull the header and the node
/// states completed so far, with the offset where the next one starts.
struct PlainProgress: Sendable {
    var header: PushPullHeader?
    var nodes: [PushNodeState] = []
    var offset = 1

    /// The message and the bytes it took, nil if more are needed (or `truncated` when `complete`).
    mutating func advance(_ buffer: [UInt8], complete: Bool, maxSize: Int) throws(WireError) -> (StreamMessage, Int)? {
        guard let first = buffer.first else {
            if complete { throw WireError(.truncated, "empty stream message") }
            return nil
        }
        guard let type = MessageType(rawValue: first) else {
            throw WireError(.unknownType, "stream message type \(first)")
        }
        do throws(WireError) {
            switch type {
            case .pushPull: return try advancePushPull(buffer, maxSize: maxSize)
            case .user:
                var reader = MsgpackReader(buffer, start: 1)
                let header = try UserMsgHeader(decodingBody: &reader)
                guard header.userMsgLen <= maxSize else {
                    throw WireError(.tooLarge, "user message declares \(header.userMsgLen) bytes")
                }
                let payload = try reader.readRawRange(count: header.userMsgLen)
                return (.user(Array(buffer[payload])), payload.upperBound)
            case .ping: return try single(buffer) { r throws(WireError) in .ping(try Ping(decodingBody: &r)) }
            case .ackResp: return try single(buffer) { r throws(WireError) in .ackResp(try AckResp(decodingBody: &r)) }
            case .errResp: return try single(buffer) { r throws(WireError) in .errResp(try ErrResp(decodingBody: &r)) }
            case .indirectPing, .suspect, .alive, .dead, .compound, .compress, .encrypt, .nackResp, .hasCRC:
                throw WireError(.unexpectedType, "message type \(type.rawValue) is not valid as a stream message")
            }
        } catch where error.reason == .truncated && !complete {
            return nil
        }
    }

    private func single(
        _ buffer: [UInt8], _ decode: (inout MsgpackReader) throws(WireError) -> StreamMessage
    ) throws(WireError) -> (StreamMessage, Int) {
        var reader = MsgpackReader(buffer, start: 1)
        let message = try decode(&reader)
        return (message, reader.offset)
    }

    private mutating func advancePushPull(_ buffer: [UInt8], maxSize: Int) throws(WireError) -> (StreamMessage, Int)? {
        if header == nil {
            var reader = MsgpackReader(buffer, start: 1)
            let h = try PushPullHeader(decodingBody: &reader)
            guard h.nodes <= maxSize, h.userStateLen <= maxSize else {
                throw WireError(.tooLarge, "push/pull declares \(h.nodes) nodes and \(h.userStateLen) bytes of state")
            }
            header = h
            offset = reader.offset
        }
        guard let h = header else { return nil }
        while nodes.count < h.nodes {
            var reader = MsgpackReader(buffer, start: offset)
            let node = try PushNodeState(decodingBody: &reader)
            nodes.append(node)
            offset = reader.offset
        }
        var reader = MsgpackReader(buffer, start: offset)
        let state = try reader.readRawRange(count: h.userStateLen)
        let exchange = PushPull(join: h.join, nodes: nodes, userState: Array(buffer[state]))
        return (.pushPull(exchange), state.upperBound)
    }
}
