/// The payloads the simulator broadcasts: an 8-byte message key (little-endian) then filler up to the
/// requested size, or the application's own payload (``Cluster/broadcast(from:payload:)``). The key lets the run's measures match every delivery to its broadcast without relying
/// on the Plumtree core's message ids.
public enum BroadcastPayload {
    /// A payload of `size` bytes (at least 8) carrying `key`.
    public static func make(key: UInt64, size: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: max(8, size))
        for i in 0..<8 { bytes[i] = UInt8(truncatingIfNeeded: key >> (8 * UInt64(i))) }
        // Incompressible filler (an xorshift stream seeded by the key): application payloads are usually
        // compressed or encrypted already, and a constant filler would let memberlist's LZW shrink every
        // message to a few bytes, hiding what large messages cost.
        var state = key &* 0x9E37_79B9_7F4A_7C15 | 1
        for i in 8..<bytes.count {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            bytes[i] = UInt8(truncatingIfNeeded: state)
        }
        return bytes
    }

    /// An application's own payload, carried after `key`.
    public static func wrap(_ payload: [UInt8], key: UInt64) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: 8)
        bytes.reserveCapacity(8 + payload.count)
        for i in 0..<8 { bytes[i] = UInt8(truncatingIfNeeded: key >> (8 * UInt64(i))) }
        bytes.append(contentsOf: payload)
        return bytes
    }

    /// What follows the key: the application's payload (or the filler of ``make(key:size:)``).
    public static func body(of payload: [UInt8]) -> [UInt8] {
        payload.count > 8 ? Array(payload[8...]) : []
    }

    /// The key a payload carries, nil when it is shorter than 8 bytes.
    public static func key(of payload: [UInt8]) -> UInt64? {
        guard payload.count >= 8 else { return nil }
        var key: UInt64 = 0
        for i in 0..<8 { key |= UInt64(payload[i]) << (8 * UInt64(i)) }
        return key
    }
}
