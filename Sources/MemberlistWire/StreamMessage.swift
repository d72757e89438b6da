// The requests and replies a TCP stream carries, and their plaintext encoding.

/// One message of a memberlist stream: a connection carries one request and, on the same connection, one reply.
public enum StreamMessage: Hashable, Sendable {
    /// `[6]` header, node states, then the raw user state.
    case pushPull(PushPull)
    /// `[8]` userMsgHeader, then the raw payload (a reliable user message).
    case user([UInt8])
    /// `[0]` a TCP ping (protocol >= 3), answered with an ack.
    case ping(Ping)
    /// `[2]` the answer to a TCP ping.
    case ackResp(AckResp)
    /// `[13]` the answer to a request that failed.
    case errResp(ErrResp)

    /// The plaintext stream bytes: type byte, msgpack values back to back, then raw bytes.
    public func encoded() -> [UInt8] {
        switch self {
        case .pushPull(let exchange):
            var w = MsgpackWriter(reservingCapacity: 64 + exchange.nodes.count * 96 + exchange.userState.count)
            w.bytes.append(MessageType.pushPull.rawValue)
            exchange.header.encodeBody(into: &w)
            for node in exchange.nodes { node.encodeBody(into: &w) }
            w.bytes.append(contentsOf: exchange.userState)
            return w.bytes
        case .user(let payload):
            var w = MsgpackWriter(reservingCapacity: 20 + payload.count)
            w.bytes.append(MessageType.user.rawValue)
            UserMsgHeader(userMsgLen: payload.count).encodeBody(into: &w)
            w.bytes.append(contentsOf: payload)
            return w.bytes
        case .ping(let m): return m.encoded()
        case .ackResp(let m): return m.encoded()
        case .errResp(let m): return m.encoded()
        }
    }
}

/// The envelopes of a stream: `[9]` compress and `[10]` encrypt (compressed before encrypted).
public enum StreamFrame {
    /// memberlist's limit on what one stream may carry (maxPushStateBytes).
    public static let maxSize = 20 * 1024 * 1024
    /// `[10]` and the big-endian u32 length: also the associated data of the encryption.
    public static let encryptHeaderSize = 5

    /// Wraps a plaintext stream message for sending.
    ///
    /// - Parameters:
    ///   - compress: LZW-compress (memberlist compresses every stream when compression is on).
    ///   - keyring: seal with its primary key, the 5 header bytes then `label` as associated data
    ///     (memberlist `encryptLocalState`); nil sends plaintext.
    ///   - nonce: 12 bytes from the caller's seeded random source, required with a keyring.
    ///   - label: the cluster label (empty: none). Only authenticated here: the label HEADER goes once in
    ///     front of a stream the node opens (``LabelHeader/wrap(_:label:)``), never in front of a reply,
    ///     yet memberlist seals requests and replies alike with the label.
    public static func seal(
        _ plain: [UInt8], compress: Bool = false, keyring: Keyring? = nil, nonce: [UInt8] = [], label: [UInt8] = []
    ) throws(WireError) -> [UInt8] {
        var bytes = plain
        if compress { bytes = Compress(buf: LZW.deflate(plain)).encoded() }
        if let keyring {
            let length = bytes.count + Keyring.overhead
            guard length <= maxSize else { throw WireError(.tooLarge, "stream of \(length) bytes") }
            let header: [UInt8] = [
                MessageType.encrypt.rawValue,
                UInt8(truncatingIfNeeded: length >> 24), UInt8(truncatingIfNeeded: length >> 16),
                UInt8(truncatingIfNeeded: length >> 8), UInt8(truncatingIfNeeded: length),
            ]
            bytes = header + (try keyring.encrypt(bytes, nonce: nonce, associatedData: header + label))
        }
        guard bytes.count <= maxSize + encryptHeaderSize else {
            throw WireError(.tooLarge, "stream of \(bytes.count) bytes")
        }
        return bytes
    }

    /// ``StreamMessage/encoded()`` then ``seal(_:compress:keyring:nonce:label:)``.
    public static func encode(
        _ message: StreamMessage, compress: Bool = false, keyring: Keyring? = nil, nonce: [UInt8] = [],
        label: [UInt8] = []
    ) throws(WireError) -> [UInt8] {
        try seal(message.encoded(), compress: compress, keyring: keyring, nonce: nonce, label: label)
    }
}
