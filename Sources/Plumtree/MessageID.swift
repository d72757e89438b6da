import ProtocolSupport

/// The identity of one broadcast: 16 bytes, the same on every node that carries it.
///
/// Drawn as 128 random bits from the originating core's `SeededRandom`, whose seed mixes the driver's seed
/// with the node's name. Two nodes (or two runs of one node) therefore collide only if the driver hands the
/// same seed to the same name; the runtime seeds from the system's random source on every start, so ids are
/// unique across restarts too. A fixed size keeps IHave and digest messages small and easy to bound.
public struct MessageID: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The first 8 bytes, big-endian.
    public var high: UInt64
    /// The last 8 bytes, big-endian.
    public var low: UInt64

    /// The encoded size of an id on the wire.
    public static let byteCount = 16

    @inlinable
    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// Draws a fresh id from `random`.
    public init(drawingFrom random: inout SeededRandom) {
        self.init(high: random.next(), low: random.next())
    }

    /// The 16 bytes, big-endian.
    public var bytes: [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(16)
        for shift in stride(from: 56, through: 0, by: -8) { result.append(UInt8(truncatingIfNeeded: high >> UInt64(shift))) }
        for shift in stride(from: 56, through: 0, by: -8) { result.append(UInt8(truncatingIfNeeded: low >> UInt64(shift))) }
        return result
    }

    @inlinable
    public static func < (lhs: MessageID, rhs: MessageID) -> Bool {
        lhs.high != rhs.high ? lhs.high < rhs.high : lhs.low < rhs.low
    }

    /// 32 lowercase hex digits.
    public var description: String {
        func hex(_ value: UInt64) -> String {
            let digits = String(value, radix: 16)
            return String(repeating: "0", count: 16 - digits.count) + digits
        }
        return hex(high) + hex(low)
    }
}
