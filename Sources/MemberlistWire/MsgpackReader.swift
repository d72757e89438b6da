// msgpack as hashicorp/go-msgpack 0.5.5 reads it for memberlist: map keys in any order, unknown keys skipped,
// missing keys left at zero, nil read as the zero value, strings from str (fixstr, str8, str16, str32) only,
// byte slices from str or bin, integers of any width with an overflow and sign check.
// Every length is checked against the remaining input before anything is allocated or read.

/// Reads msgpack values from untrusted bytes; every failure is a ``WireError``.
public struct MsgpackReader: Sendable {
    public let bytes: [UInt8]
    /// The index of the next byte to read.
    public private(set) var offset: Int
    /// One past the last byte this reader may read.
    public let end: Int

    /// Reads `bytes[start..<end]` (the whole array by default).
    public init(_ bytes: [UInt8], start: Int = 0, end: Int? = nil) {
        self.bytes = bytes
        let limit = min(end ?? bytes.count, bytes.count)
        self.end = limit
        self.offset = min(max(0, start), limit)
    }

    public var remaining: Int { end - offset }
    public var isAtEnd: Bool { offset >= end }

    @inline(__always)
    mutating func readByte() throws(WireError) -> UInt8 {
        guard offset < end else { throw WireError(.truncated, "msgpack value ends early") }
        let b = bytes[offset]
        offset += 1
        return b
    }

    @inline(__always)
    func require(_ count: Int, _ what: StaticString) throws(WireError) {
        guard count >= 0, count <= end - offset else {
            throw WireError(.truncated, "\(what) declares \(count) bytes, \(end - offset) remain")
        }
    }

    @inline(__always)
    mutating func readBigEndian(_ width: Int) throws(WireError) -> UInt64 {
        try require(width, "integer")
        var v: UInt64 = 0
        for i in 0..<width { v = v << 8 | UInt64(bytes[offset + i]) }
        offset += width
        return v
    }

    /// Consumes `count` raw bytes after checking they are present, returning their range.
    public mutating func readRawRange(count: Int) throws(WireError) -> Range<Int> {
        try require(count, "raw")
        let r = offset..<(offset + count)
        offset += count
        return r
    }

    /// A map header; nil counts as an empty map. The count is checked against the remaining bytes
    /// (every entry needs at least two).
    public mutating func readMapCount() throws(WireError) -> Int {
        let tag = try readByte()
        let count: Int
        switch tag {
        case 0x80...0x8F: count = Int(tag & 0x0F)
        case 0xDE: count = Int(try readBigEndian(2))
        case 0xDF: count = Int(try readBigEndian(4))
        case 0xC0: count = 0
        default: throw WireError(.malformed, "expected a map, found tag 0x\(hex(tag))")
        }
        guard count <= remaining / 2 else {
            throw WireError(.truncated, "map declares \(count) entries, \(remaining) bytes remain")
        }
        return count
    }

    /// An array header (used for a Vsn written as an array of integers); nil counts as empty.
    public mutating func readArrayCount() throws(WireError) -> Int {
        let tag = try readByte()
        let count: Int
        switch tag {
        case 0x90...0x9F: count = Int(tag & 0x0F)
        case 0xDC: count = Int(try readBigEndian(2))
        case 0xDD: count = Int(try readBigEndian(4))
        case 0xC0: count = 0
        default: throw WireError(.malformed, "expected an array, found tag 0x\(hex(tag))")
        }
        guard count <= remaining else {
            throw WireError(.truncated, "array declares \(count) entries, \(remaining) bytes remain")
        }
        return count
    }

    /// The length of a str value at `tag` (nil is -1); bin is refused, as Go refuses it for a string.
    mutating func strLength(tag: UInt8) throws(WireError) -> Int {
        switch tag {
        case 0xA0...0xBF: return Int(tag & 0x1F)
        case 0xD9: return Int(try readBigEndian(1))
        case 0xDA: return Int(try readBigEndian(2))
        case 0xDB: return Int(try readBigEndian(4))
        case 0xC0: return -1
        case 0xC4...0xC6: throw WireError(.malformed, "bin where a string is expected")
        default: throw WireError(.malformed, "expected a string, found tag 0x\(hex(tag))")
        }
    }

    /// A map key: the range of its bytes in ``bytes``.
    public mutating func readKey() throws(WireError) -> Range<Int> {
        let length = try strLength(tag: try readByte())
        return try readRawRange(count: max(0, length))
    }

    /// Whether the key at `range` is exactly `name` (case-sensitive, as Go matches field names).
    public func key(_ range: Range<Int>, is name: StaticString) -> Bool {
        // withUTF8Buffer works for both StaticString representations (a one-scalar literal has no pointer).
        name.withUTF8Buffer { utf8 in
            guard range.count == utf8.count else { return false }
            var i = 0
            for index in range {
                if bytes[index] != utf8[i] { return false }
                i += 1
            }
            return true
        }
    }

    /// A string field; nil reads as "". Bytes that are not UTF-8 are refused, so a name can never be
    /// silently altered by replacement characters.
    public mutating func readString() throws(WireError) -> String {
        let length = try strLength(tag: try readByte())
        if length <= 0 { return "" }
        let r = try readRawRange(count: length)
        let decoded = bytes.withUnsafeBufferPointer { all -> String? in
            let utf8 = UnsafeBufferPointer(rebasing: all[r])
            // Names and tags are nearly always ASCII, which needs no validation and takes the fast path.
            if utf8.allSatisfy({ $0 < 0x80 }) { return String(decoding: utf8, as: UTF8.self) }
            return String(validating: utf8, as: UTF8.self)
        }
        guard let s = decoded else {
            throw WireError(.malformed, "string is not UTF-8")
        }
        return s
    }

    /// The range of a byte-slice field (str or bin); nil reads as empty.
    public mutating func readBytesRange() throws(WireError) -> Range<Int> {
        let tag = try readByte()
        let length: Int
        switch tag {
        case 0xC4: length = Int(try readBigEndian(1))
        case 0xC5: length = Int(try readBigEndian(2))
        case 0xC6: length = Int(try readBigEndian(4))
        default: length = try strLength(tag: tag)
        }
        return try readRawRange(count: max(0, length))
    }

    /// A byte-slice field (str or bin); nil reads as empty.
    public mutating func readBytes() throws(WireError) -> [UInt8] {
        Array(bytes[try readBytesRange()])
    }

    /// Any integer no larger than `max`; negative values are refused, as Go refuses them for unsigned fields.
    public mutating func readUInt(max: UInt64) throws(WireError) -> UInt64 {
        let value = try readInteger()
        guard value >= 0 else { throw WireError(.malformed, "negative value for an unsigned field") }
        guard UInt64(value) <= max else { throw WireError(.malformed, "integer \(value) overflows its field") }
        return UInt64(value)
    }

    /// Any integer as a signed 64-bit value (uint64 above Int64.max is refused); nil reads as 0.
    public mutating func readInteger() throws(WireError) -> Int64 {
        let tag = try readByte()
        switch tag {
        case 0x00...0x7F: return Int64(tag)
        case 0xE0...0xFF: return Int64(Int8(bitPattern: tag))
        case 0xCC: return Int64(try readBigEndian(1))
        case 0xCD: return Int64(try readBigEndian(2))
        case 0xCE: return Int64(try readBigEndian(4))
        case 0xCF:
            let v = try readBigEndian(8)
            guard v <= UInt64(Int64.max) else { throw WireError(.malformed, "uint64 out of range") }
            return Int64(v)
        case 0xD0: return Int64(Int8(truncatingIfNeeded: try readBigEndian(1)))
        case 0xD1: return Int64(Int16(truncatingIfNeeded: try readBigEndian(2)))
        case 0xD2: return Int64(Int32(truncatingIfNeeded: try readBigEndian(4)))
        case 0xD3: return Int64(bitPattern: try readBigEndian(8))
        case 0xC0: return 0
        default: throw WireError(.malformed, "expected an integer, found tag 0x\(hex(tag))")
        }
    }

    /// A bool; nil reads as false.
    public mutating func readBool() throws(WireError) -> Bool {
        switch try readByte() {
        case 0xC2, 0xC0: return false
        case 0xC3: return true
        case let tag: throw WireError(.malformed, "expected a bool, found tag 0x\(hex(tag))")
        }
    }

    /// A Vsn: a 6-byte raw (as Go writes `[]uint8`) or an array of six small integers. Missing or nil is
    /// ``Vsn/absent``; any other length is refused (memberlist 0.2.2 would panic on it).
    public mutating func readVsn() throws(WireError) -> Vsn {
        guard offset < end else { throw WireError(.truncated, "Vsn missing") }
        let tag = bytes[offset]
        if tag == 0xC0 {
            offset += 1
            return .absent
        }
        if (0x90...0x9F).contains(tag) || tag == 0xDC || tag == 0xDD {
            let count = try readArrayCount()
            guard count == 6 else { throw WireError(.malformed, "Vsn has \(count) entries, not 6") }
            var six: [UInt8] = []
            six.reserveCapacity(6)
            for _ in 0..<6 { six.append(UInt8(try readUInt(max: 255))) }
            return Vsn(bytes: six) ?? .absent
        }
        let r = try readBytesRange()
        if r.isEmpty { return .absent }
        guard r.count == 6 else { throw WireError(.malformed, "Vsn has \(r.count) bytes, not 6") }
        let b = r.lowerBound
        return Vsn(
            protocolMin: bytes[b], protocolMax: bytes[b + 1], protocolCurrent: bytes[b + 2],
            delegateMin: bytes[b + 3], delegateMax: bytes[b + 4], delegateCurrent: bytes[b + 5])
    }

    /// Skips one value of any type, without recursion: a count of values still to skip grows with
    /// containers, and every step consumes at least one byte, so hostile counts end in `truncated`.
    public mutating func skipValue() throws(WireError) {
        var pending = 1
        while pending > 0 {
            pending -= 1
            let tag = try readByte()
            switch tag {
            case 0x00...0x7F, 0xE0...0xFF, 0xC0, 0xC2, 0xC3: break
            case 0x80...0x8F: pending += 2 * Int(tag & 0x0F)
            case 0x90...0x9F: pending += Int(tag & 0x0F)
            case 0xA0...0xBF: _ = try readRawRange(count: Int(tag & 0x1F))
            case 0xC4, 0xD9: _ = try readRawRange(count: Int(try readBigEndian(1)))
            case 0xC5, 0xDA: _ = try readRawRange(count: Int(try readBigEndian(2)))
            case 0xC6, 0xDB: _ = try readRawRange(count: Int(try readBigEndian(4)))
            case 0xC7: _ = try readRawRange(count: Int(try readBigEndian(1)) + 1)
            case 0xC8: _ = try readRawRange(count: Int(try readBigEndian(2)) + 1)
            case 0xC9: _ = try readRawRange(count: Int(try readBigEndian(4)) + 1)
            case 0xCA: _ = try readRawRange(count: 4)
            case 0xCB: _ = try readRawRange(count: 8)
            case 0xCC, 0xD0: _ = try readRawRange(count: 1)
            case 0xCD, 0xD1: _ = try readRawRange(count: 2)
            case 0xCE, 0xD2: _ = try readRawRange(count: 4)
            case 0xCF, 0xD3: _ = try readRawRange(count: 8)
            case 0xD4: _ = try readRawRange(count: 2)
            case 0xD5: _ = try readRawRange(count: 3)
            case 0xD6: _ = try readRawRange(count: 5)
            case 0xD7: _ = try readRawRange(count: 9)
            case 0xD8: _ = try readRawRange(count: 17)
            case 0xDC: pending += Int(try readBigEndian(2))
            case 0xDD: pending += Int(try readBigEndian(4))
            case 0xDE: pending += 2 * Int(try readBigEndian(2))
            case 0xDF: pending += 2 * Int(try readBigEndian(4))
            default: throw WireError(.malformed, "reserved msgpack tag 0x\(hex(tag))")
            }
            guard pending <= remaining else {
                throw WireError(.truncated, "container declares more values than bytes remain")
            }
        }
    }
}

/// Two lowercase hex digits, for error details.
func hex(_ byte: UInt8) -> String {
    let digits: [Character] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "a", "b", "c", "d", "e", "f"]
    return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
}
