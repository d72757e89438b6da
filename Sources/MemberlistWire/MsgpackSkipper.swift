// Finding where a msgpack value ends while its bytes are still arriving, without decoding it.
//
// A plaintext memberlist stream has no outer length: the only way to know it is complete is to walk its
// msgpack values. Re-walking from the start after every read costs the whole buffer per read, quadratic in
// the stream. This walker keeps its place between reads: it looks at each value's header bytes once,
// jumps over str, bin and ext contents without touching them, and needs no stack (a count of values still
// to read is enough, because containers only ever add values to read).

/// Walks msgpack values as bytes arrive; resumable between feeds.
struct MsgpackSkipper: Sendable {
    /// Values still to be walked before the sequence is complete.
    private(set) var pendingValues: Int
    /// Where the next value header starts, or where the current str/bin/ext contents end.
    private(set) var offset: Int
    /// No container may declare more values than this (each value takes at least one byte, so a larger
    /// count can never be satisfied within the stream's limit).
    let maxValues: Int
    /// Header bytes looked at so far (the contents skipped over are never looked at).
    private(set) var bytesExamined = 0

    /// Walks `values` values starting at `offset`.
    init(values: Int, at offset: Int, maxValues: Int) {
        self.pendingValues = values
        self.offset = offset
        self.maxValues = maxValues
    }

    var isComplete: Bool { pendingValues == 0 }

    /// Walks as far as `buffer` (the whole stream so far) allows. Returns true once every value is
    /// complete; `offset` is then one past the last byte of the last value.
    mutating func advance(_ buffer: [UInt8]) throws(WireError) -> Bool {
        while pendingValues > 0 {
            guard offset < buffer.count else { return false }
            let tag = buffer[offset]
            let shape = Self.shape(of: tag)
            let headerSize = 1 + shape.lengthBytes
            // An incomplete header is looked at again only once it is whole: at most its tag byte repeats.
            guard buffer.count - offset >= headerSize else { return false }
            bytesExamined += headerSize
            var length = 0
            for i in 0..<shape.lengthBytes { length = length << 8 | Int(buffer[offset + 1 + i]) }
            switch shape.kind {
            case .reserved:
                throw WireError(.malformed, "reserved msgpack tag 0x\(hex(tag))")
            case .fixed(let size):
                pendingValues -= 1
                offset += headerSize + size
            case .raw(let extra):
                pendingValues -= 1
                offset += headerSize + length + extra
            case .container(let perEntry, let fixedCount):
                pendingValues -= 1
                let count = (fixedCount ?? length) * perEntry
                guard count <= maxValues - pendingValues else {
                    throw WireError(.tooLarge, "msgpack container declares \(count) values")
                }
                pendingValues += count
                offset += headerSize
            }
            // Jumping over contents that have not all arrived yet is fine: the loop waits for them
            // through `offset < buffer.count`, and completion is checked against `offset` below.
        }
        return offset <= buffer.count
    }

    private enum Kind {
        case reserved
        /// Payload bytes that follow the header and are skipped.
        case fixed(Int)
        /// The header's length field counts the payload, plus `extra` (an ext's type byte).
        case raw(extra: Int)
        /// Values per entry (2 for maps), and the count when it is in the tag itself.
        case container(perEntry: Int, fixedCount: Int?)
    }

    /// How a tag is laid out: the bytes of length that follow it, and what they count.
    private static func shape(of tag: UInt8) -> (kind: Kind, lengthBytes: Int) {
        switch tag {
        case 0x00...0x7F, 0xE0...0xFF, 0xC0, 0xC2, 0xC3: return (.fixed(0), 0)
        case 0x80...0x8F: return (.container(perEntry: 2, fixedCount: Int(tag & 0x0F)), 0)
        case 0x90...0x9F: return (.container(perEntry: 1, fixedCount: Int(tag & 0x0F)), 0)
        case 0xA0...0xBF: return (.fixed(Int(tag & 0x1F)), 0)
        case 0xC4, 0xD9: return (.raw(extra: 0), 1)
        case 0xC5, 0xDA: return (.raw(extra: 0), 2)
        case 0xC6, 0xDB: return (.raw(extra: 0), 4)
        case 0xC7: return (.raw(extra: 1), 1)
        case 0xC8: return (.raw(extra: 1), 2)
        case 0xC9: return (.raw(extra: 1), 4)
        case 0xCA: return (.fixed(4), 0)
        case 0xCB: return (.fixed(8), 0)
        case 0xCC, 0xD0: return (.fixed(1), 0)
        case 0xCD, 0xD1: return (.fixed(2), 0)
        case 0xCE, 0xD2: return (.fixed(4), 0)
        case 0xCF, 0xD3: return (.fixed(8), 0)
        case 0xD4: return (.fixed(2), 0)
        case 0xD5: return (.fixed(3), 0)
        case 0xD6: return (.fixed(5), 0)
        case 0xD7: return (.fixed(9), 0)
        case 0xD8: return (.fixed(17), 0)
        case 0xDC: return (.container(perEntry: 1, fixedCount: nil), 2)
        case 0xDD: return (.container(perEntry: 1, fixedCount: nil), 4)
        case 0xDE: return (.container(perEntry: 2, fixedCount: nil), 2)
        case 0xDF: return (.container(perEntry: 2, fixedCount: nil), 4)
        default: return (.reserved, 0)
        }
    }
}
