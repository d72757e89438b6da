// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), as Go's crc32.ChecksumIEEE computes it for
// memberlist's hasCRC packets.

/// The IEEE CRC-32 of a byte sequence.
public enum CRC32 {
    /// The table is built once from the polynomial: immutable, so safe to share across threads.
    static let table: [UInt32] = (0..<256).map { n -> UInt32 in
        var c = UInt32(n)
        for _ in 0..<8 { c = (c & 1) != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    /// The checksum of `bytes`.
    public static func checksum(_ bytes: some Sequence<UInt8>) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        table.withUnsafeBufferPointer { t in
            for b in bytes { crc = t[Int((crc ^ UInt32(b)) & 0xFF)] ^ (crc >> 8) }
        }
        return crc ^ 0xFFFF_FFFF
    }
}

/// memberlist's CRC envelope: `[12][crc32 IEEE big-endian][payload]`.
public enum CRCEnvelope {
    /// The 5 bytes the envelope adds.
    public static let overhead = 5

    /// Wraps `payload` (sent to members whose protocol max is >= 5).
    public static func wrap(_ payload: [UInt8]) -> [UInt8] {
        let crc = CRC32.checksum(payload)
        var out: [UInt8] = []
        out.reserveCapacity(payload.count + overhead)
        out.append(MessageType.hasCRC.rawValue)
        out.append(UInt8(truncatingIfNeeded: crc >> 24))
        out.append(UInt8(truncatingIfNeeded: crc >> 16))
        out.append(UInt8(truncatingIfNeeded: crc >> 8))
        out.append(UInt8(truncatingIfNeeded: crc))
        out.append(contentsOf: payload)
        return out
    }

    /// Checks and strips the envelope of a packet that starts with the hasCRC byte.
    public static func unwrap(_ packet: [UInt8]) throws(WireError) -> [UInt8] {
        guard packet.first == MessageType.hasCRC.rawValue else {
            throw WireError(.unexpectedType, "not a CRC envelope")
        }
        guard packet.count >= overhead else { throw WireError(.truncated, "CRC envelope shorter than 5 bytes") }
        let expected = UInt32(packet[1]) << 24 | UInt32(packet[2]) << 16 | UInt32(packet[3]) << 8 | UInt32(packet[4])
        let payload = Array(packet[overhead...])
        guard CRC32.checksum(payload) == expected else { throw WireError(.badCRC, "checksum mismatch") }
        return payload
    }
}
