// The UDP pipeline. Sending: compress (when it makes the packet smaller), CRC (for receivers whose protocol
// max is >= 5), encrypt (the label, if any, as associated data), label header. Receiving undoes it in
// reverse: check the label header, decrypt, check the CRC, then follow compound (7) and compress (9)
// envelopes, which nest, down to typed messages. memberlist checks the label before anything else
// (ingestPacket), so a packet of another cluster is `label_mismatch` whether or not it is encrypted.

/// Encoding and decoding whole UDP datagrams.
public enum Packet {
    /// memberlist's read buffer: no datagram is larger.
    public static let maxDatagramSize = 65536
    /// The most bytes all compress envelopes of one datagram may inflate to, together.
    public static let maxInflatedSize = 1 << 20
    /// How deep compound and compress envelopes may nest in one datagram.
    public static let maxNesting = 8

    /// How a receiver treats encryption.
    public struct Security: Sendable {
        /// The keys to try; nil when the cluster is not encrypted.
        public var keyring: Keyring?
        /// memberlist's GossipVerifyIncoming: with a keyring, refuse what does not decrypt instead of
        /// reading it as plaintext.
        public var verifyIncoming: Bool

        public init(keyring: Keyring?, verifyIncoming: Bool = true) {
            self.keyring = keyring
            self.verifyIncoming = verifyIncoming
        }

        /// No encryption.
        public static let plaintext = Security(keyring: nil)
    }

    /// Every message of a received datagram, in order, or the reason the datagram is refused as a whole.
    ///
    /// The label header is checked first, by `label` (see ``LabelPolicy``). With a keyring and
    /// `verifyIncoming`, a datagram no key opens is refused: `plaintext_refused` when it is a valid plaintext
    /// packet, `decryption_failed` otherwise.
    public static func decode(
        _ datagram: [UInt8], security: Security = .plaintext, label: LabelPolicy = .none
    ) throws(WireError) -> [PacketMessage] {
        guard !datagram.isEmpty else { throw WireError(.truncated, "empty datagram") }
        guard datagram.count <= maxDatagramSize else {
            throw WireError(.tooLarge, "datagram of \(datagram.count) bytes")
        }
        let bodyStart = try label.acceptPacket(datagram)
        guard bodyStart < datagram.count else { throw WireError(.truncated, "label header with nothing after it") }
        let body = bodyStart == 0 ? datagram : Array(datagram[bodyStart...])
        var plain = body
        if let keyring = security.keyring {
            do {
                // memberlist authenticates our label, even when the check was skipped and no header came.
                plain = try keyring.decrypt(body, associatedData: label.label)
            } catch {
                if security.verifyIncoming {
                    if (try? decodePlain(body)) != nil {
                        throw WireError(.plaintextRefused, "plaintext packet where encryption is required")
                    }
                    throw error
                }
                plain = body
            }
        }
        return try decodePlain(plain)
    }

    /// Decodes a datagram that is not encrypted (or no longer): CRC envelope, then the message tree.
    static func decodePlain(_ packet: [UInt8]) throws(WireError) -> [PacketMessage] {
        var bytes = packet
        if bytes.first == MessageType.hasCRC.rawValue {
            bytes = try CRCEnvelope.unwrap(bytes)
        }
        var messages: [PacketMessage] = []
        var inflateBudget = maxInflatedSize
        try decodeMessage(bytes, 0..<bytes.count, depth: 0, budget: &inflateBudget, into: &messages)
        return messages
    }

    /// One message at `bytes[range]`; compound and compress recurse.
    static func decodeMessage(
        _ bytes: [UInt8], _ range: Range<Int>, depth: Int, budget: inout Int, into messages: inout [PacketMessage]
    ) throws(WireError) {
        guard depth < maxNesting else { throw WireError(.tooDeep, "envelopes nested deeper than \(maxNesting)") }
        guard let first = range.first else { throw WireError(.truncated, "empty message") }
        guard let type = MessageType(rawValue: bytes[first]) else {
            throw WireError(.unknownType, "message type \(bytes[first])")
        }
        let body = (first + 1)..<range.upperBound
        var reader = MsgpackReader(bytes, start: body.lowerBound, end: body.upperBound)
        switch type {
        case .ping: messages.append(.ping(try Ping(decodingBody: &reader)))
        case .indirectPing: messages.append(.indirectPing(try IndirectPingReq(decodingBody: &reader)))
        case .ackResp: messages.append(.ackResp(try AckResp(decodingBody: &reader)))
        case .nackResp: messages.append(.nackResp(try NackResp(decodingBody: &reader)))
        case .suspect: messages.append(.suspect(try Suspect(decodingBody: &reader)))
        case .alive: messages.append(.alive(try Alive(decodingBody: &reader)))
        case .dead: messages.append(.dead(try Dead(decodingBody: &reader)))
        case .user:
            messages.append(.user(Array(bytes[body])))
            return
        case .compound:
            for part in try Compound.split(bytes, start: body.lowerBound, end: body.upperBound) {
                try decodeMessage(bytes, part, depth: depth + 1, budget: &budget, into: &messages)
            }
            return
        case .compress:
            let compress = try Compress(decodingBody: &reader)
            guard reader.isAtEnd else { throw WireError(.malformed, "\(reader.remaining) bytes after the message") }
            let inflated = try inflate(compress, maxOutput: budget)
            budget -= inflated.count
            try decodeMessage(inflated, 0..<inflated.count, depth: depth + 1, budget: &budget, into: &messages)
            return
        case .pushPull, .encrypt, .hasCRC, .errResp:
            throw WireError(.unexpectedType, "message type \(type.rawValue) is not valid inside a packet")
        }
        // Every map-bodied message must end where its part (or the packet) ends.
        guard reader.isAtEnd else { throw WireError(.malformed, "\(reader.remaining) bytes after the message") }
    }

    /// The payload of a compress message, refused unless it is LZW.
    static func inflate(_ message: Compress, maxOutput: Int) throws(WireError) -> [UInt8] {
        guard message.algo == Compress.lzwAlgorithm else {
            throw WireError(.unsupportedCompression, "compression algorithm \(message.algo)")
        }
        return try LZW.inflate(message.buf, maxOutput: maxOutput)
    }

    /// Wraps `payload` (one message or a compound) for the wire.
    ///
    /// - Parameters:
    ///   - compress: LZW-compress, kept only when that makes the packet smaller (as memberlist does on UDP).
    ///   - addCRC: add the CRC envelope; do so when the receiver's protocol max is >= 5.
    ///   - keyring: seal with its primary key; nil sends plaintext.
    ///   - nonce: 12 bytes from the caller's seeded random source, required with a keyring.
    ///   - label: the cluster label (empty: none). memberlist seals with it as the associated data
    ///     (rawSendMsgPacket) and its transport then puts the header in front (labelWrappedTransport).
    public static func encode(
        _ payload: [UInt8], compress: Bool = false, addCRC: Bool = false, keyring: Keyring? = nil, nonce: [UInt8] = [],
        label: [UInt8] = []
    ) throws(WireError) -> [UInt8] {
        guard label.count <= LabelHeader.maxLabelSize else {
            throw WireError(.tooLarge, "a label of \(label.count) bytes; memberlist allows \(LabelHeader.maxLabelSize)")
        }
        var bytes = payload
        if compress {
            let compressed = Compress(buf: LZW.deflate(payload)).encoded()
            if compressed.count < bytes.count { bytes = compressed }
        }
        if addCRC { bytes = CRCEnvelope.wrap(bytes) }
        if let keyring { bytes = try keyring.encrypt(bytes, nonce: nonce, associatedData: label) }
        return LabelHeader.wrap(bytes, label: label)
    }
}
