// memberlist's compound packet: several messages in one datagram, `[7][n][n x u16 BE lengths][parts]`.

/// Building and splitting compound packets, and the packet size budget gossip is piggybacked within.
public enum Compound {
    /// The type byte and the part count.
    public static let headerOverhead = 2
    /// Each part's big-endian u16 length.
    public static let perPartOverhead = 2
    /// memberlist's UDPBufferSize: what a packet may fill.
    public static let udpBufferSize = 1400
    /// What AES-GCM version 1 adds to a packet: version byte, 12-byte nonce, 16-byte tag.
    public static let encryptionOverhead = 29
    /// The most parts one compound carries. The count is a byte, and memberlist 0.2.2 computes the length
    /// table's size in 8-bit arithmetic, which misreads compounds of 128 parts or more; so we stop at 127.
    public static let maxParts = 127

    /// The bytes left for piggybacked messages after the first one of `firstMessageLength` bytes, as
    /// memberlist's sendMsg computes it. Every piggybacked part then costs its length plus ``perPartOverhead``.
    public static func piggybackBudget(firstMessageLength: Int, encrypted: Bool, udpBufferSize: Int = udpBufferSize) -> Int {
        udpBufferSize - firstMessageLength - headerOverhead - (encrypted ? encryptionOverhead : 0)
    }

    /// One compound packet of `parts` (1...127 parts, each at most 65535 bytes).
    public static func build(_ parts: [[UInt8]]) throws(WireError) -> [UInt8] {
        guard !parts.isEmpty, parts.count <= maxParts else {
            throw WireError(.tooLarge, "a compound holds 1...\(maxParts) parts, not \(parts.count)")
        }
        var total = headerOverhead
        for part in parts {
            guard part.count <= Int(UInt16.max) else { throw WireError(.tooLarge, "compound part of \(part.count) bytes") }
            total += perPartOverhead + part.count
        }
        var out: [UInt8] = []
        out.reserveCapacity(total)
        out.append(MessageType.compound.rawValue)
        out.append(UInt8(parts.count))
        for part in parts {
            out.append(UInt8(truncatingIfNeeded: part.count >> 8))
            out.append(UInt8(truncatingIfNeeded: part.count))
        }
        for part in parts { out.append(contentsOf: part) }
        return out
    }

    /// Packs messages into as few compounds as the part limit allows; a single message is sent as itself.
    public static func pack(_ messages: [[UInt8]]) throws(WireError) -> [[UInt8]] {
        if messages.count == 1 { return messages }
        var packets: [[UInt8]] = []
        var start = 0
        while start < messages.count {
            let end = min(start + maxParts, messages.count)
            packets.append(try build(Array(messages[start..<end])))
            start = end
        }
        return packets
    }

    /// The ranges of the parts of the compound body `bytes[start..<end]` (after the type byte).
    /// A length table or a part that runs past the end is refused as a whole, never partly used.
    public static func split(_ bytes: [UInt8], start: Int, end: Int) throws(WireError) -> [Range<Int>] {
        guard start < end, end <= bytes.count else { throw WireError(.truncated, "compound without a part count") }
        let count = Int(bytes[start])
        var offset = start + 1
        guard count > 0 else { throw WireError(.malformed, "compound with no parts") }
        guard count * 2 <= end - offset else { throw WireError(.truncated, "compound length table truncated") }
        var lengths: [Int] = []
        lengths.reserveCapacity(count)
        for i in 0..<count {
            lengths.append(Int(bytes[offset + 2 * i]) << 8 | Int(bytes[offset + 2 * i + 1]))
        }
        offset += count * 2
        var ranges: [Range<Int>] = []
        ranges.reserveCapacity(count)
        for length in lengths {
            guard length <= end - offset else {
                throw WireError(.truncated, "compound part of \(length) bytes, \(end - offset) remain")
            }
            ranges.append(offset..<(offset + length))
            offset += length
        }
        return ranges
    }
}
