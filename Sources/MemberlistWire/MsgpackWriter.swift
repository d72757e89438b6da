// msgpack as hashicorp/go-msgpack 0.5.5 writes it for memberlist (MsgpackHandle without WriteExt):
// strings and byte slices as old-spec raw (fixraw, raw16, raw32; never str8 and never bin), integers in the
// smallest form, map keys in the order the caller writes them (callers write them alphabetically, as the
// Go encoder sorts struct fields by name).

/// Appends msgpack values to a byte buffer exactly as memberlist's Go encoder would.
public struct MsgpackWriter: Sendable {
    /// The bytes written so far.
    public var bytes: [UInt8]

    public init(reservingCapacity capacity: Int = 64) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// Continues writing after `prefix` (usually a message type byte).
    public init(prefix: [UInt8]) {
        bytes = prefix
    }

    public mutating func writeNil() { bytes.append(0xC0) }

    public mutating func writeBool(_ value: Bool) { bytes.append(value ? 0xC3 : 0xC2) }

    /// An unsigned integer in the smallest form: positive fixint, uint8, uint16, uint32, uint64.
    public mutating func writeUInt(_ value: UInt64) {
        switch value {
        case 0...0x7F:
            bytes.append(UInt8(value))
        case 0x80...0xFF:
            bytes.append(0xCC)
            bytes.append(UInt8(value))
        case 0x100...0xFFFF:
            bytes.append(0xCD)
            appendBigEndian(UInt16(value))
        case 0x1_0000...0xFFFF_FFFF:
            bytes.append(0xCE)
            appendBigEndian(UInt32(value))
        default:
            bytes.append(0xCF)
            appendBigEndian(value)
        }
    }

    /// A signed integer as Go's encoder writes an `int`: non-negative values as unsigned.
    public mutating func writeInt(_ value: Int64) {
        if value >= 0 {
            writeUInt(UInt64(value))
        } else if value >= -32 {
            bytes.append(UInt8(bitPattern: Int8(value)))
        } else if value >= Int64(Int8.min) {
            bytes.append(0xD0)
            bytes.append(UInt8(bitPattern: Int8(value)))
        } else if value >= Int64(Int16.min) {
            bytes.append(0xD1)
            appendBigEndian(UInt16(bitPattern: Int16(value)))
        } else if value >= Int64(Int32.min) {
            bytes.append(0xD2)
            appendBigEndian(UInt32(bitPattern: Int32(value)))
        } else {
            bytes.append(0xD3)
            appendBigEndian(UInt64(bitPattern: value))
        }
    }

    /// The header of a raw (string or bytes) of `count` bytes: 0xa0|n, 0xda u16, 0xdb u32.
    public mutating func writeRawHeader(count: Int) {
        if count < 32 {
            bytes.append(0xA0 | UInt8(count))
        } else if count < 0x1_0000 {
            bytes.append(0xDA)
            appendBigEndian(UInt16(count))
        } else {
            bytes.append(0xDB)
            appendBigEndian(UInt32(truncatingIfNeeded: count))
        }
    }

    /// A string, as raw.
    public mutating func writeString(_ value: String) {
        var value = value
        value.withUTF8 { utf8 in
            writeRawHeader(count: utf8.count)
            bytes.append(contentsOf: utf8)
        }
    }

    /// A map key given as a static string (field names are ASCII literals).
    public mutating func writeKey(_ key: StaticString) {
        key.withUTF8Buffer { utf8 in
            writeRawHeader(count: utf8.count)
            bytes.append(contentsOf: utf8)
        }
    }

    /// A byte slice, as raw. Empty is written as nil, which is what Go writes for the nil slices memberlist
    /// leaves unset; Go reads both as an empty slice.
    public mutating func writeBytes(_ value: [UInt8]) {
        if value.isEmpty {
            writeNil()
        } else {
            writeRawHeader(count: value.count)
            bytes.append(contentsOf: value)
        }
    }

    /// A byte slice that is written as raw even when empty (Go's non-nil empty slice).
    public mutating func writeRawBytes(_ value: some Collection<UInt8>) {
        writeRawHeader(count: value.count)
        bytes.append(contentsOf: value)
    }

    /// An array header: fixarray, array16, array32.
    public mutating func writeArrayHeader(count: Int) {
        if count < 16 {
            bytes.append(0x90 | UInt8(count))
        } else if count < 0x1_0000 {
            bytes.append(0xDC)
            appendBigEndian(UInt16(count))
        } else {
            bytes.append(0xDD)
            appendBigEndian(UInt32(truncatingIfNeeded: count))
        }
    }

    /// A map header: fixmap, map16, map32.
    public mutating func writeMapHeader(count: Int) {
        if count < 16 {
            bytes.append(0x80 | UInt8(count))
        } else if count < 0x1_0000 {
            bytes.append(0xDE)
            appendBigEndian(UInt16(count))
        } else {
            bytes.append(0xDF)
            appendBigEndian(UInt32(truncatingIfNeeded: count))
        }
    }

    @inline(__always)
    mutating func appendBigEndian(_ value: UInt16) {
        bytes.append(UInt8(truncatingIfNeeded: value >> 8))
        bytes.append(UInt8(truncatingIfNeeded: value))
    }

    @inline(__always)
    mutating func appendBigEndian(_ value: UInt32) {
        bytes.append(UInt8(truncatingIfNeeded: value >> 24))
        bytes.append(UInt8(truncatingIfNeeded: value >> 16))
        bytes.append(UInt8(truncatingIfNeeded: value >> 8))
        bytes.append(UInt8(truncatingIfNeeded: value))
    }

    @inline(__always)
    mutating func appendBigEndian(_ value: UInt64) {
        appendBigEndian(UInt32(truncatingIfNeeded: value >> 32))
        appendBigEndian(UInt32(truncatingIfNeeded: value))
    }
}
