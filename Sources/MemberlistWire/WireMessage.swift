// What every memberlist message body has in common: a type byte, then one msgpack map keyed by Go field name.

/// A memberlist message body: encoded as its type byte followed by one msgpack map.
public protocol WireMessage: Hashable, Sendable {
    /// The type byte that precedes the map.
    static var messageType: MessageType { get }
    /// Writes the msgpack map, keys in alphabetical order as Go's encoder does.
    func encodeBody(into writer: inout MsgpackWriter)
    /// Reads the msgpack map: keys in any order, unknown keys skipped, missing keys left at zero.
    init(decodingBody reader: inout MsgpackReader) throws(WireError)
}

extension WireMessage {
    /// The type byte followed by the msgpack map.
    public func encoded() -> [UInt8] {
        var writer = MsgpackWriter(reservingCapacity: 64)
        writer.bytes.append(Self.messageType.rawValue)
        encodeBody(into: &writer)
        return writer.bytes
    }

    /// Decodes a whole message: the expected type byte, one map, nothing after it.
    public init(decoding bytes: [UInt8]) throws(WireError) {
        guard let first = bytes.first else { throw WireError(.truncated, "empty message") }
        guard first == Self.messageType.rawValue else {
            throw WireError(.unexpectedType, "expected type \(Self.messageType.rawValue), found \(first)")
        }
        var reader = MsgpackReader(bytes, start: 1)
        try self.init(decodingBody: &reader)
        guard reader.isAtEnd else { throw WireError(.malformed, "\(reader.remaining) bytes after the message") }
    }

    /// Decodes the map alone (no type byte), refusing trailing bytes.
    public init(decodingBodyOnly bytes: [UInt8]) throws(WireError) {
        var reader = MsgpackReader(bytes)
        try self.init(decodingBody: &reader)
        guard reader.isAtEnd else { throw WireError(.malformed, "\(reader.remaining) bytes after the message") }
    }
}

extension MsgpackReader {
    mutating func readUInt32() throws(WireError) -> UInt32 { UInt32(try readUInt(max: UInt64(UInt32.max))) }
    mutating func readUInt16() throws(WireError) -> UInt16 { UInt16(try readUInt(max: UInt64(UInt16.max))) }
    mutating func readUInt8() throws(WireError) -> UInt8 { UInt8(try readUInt(max: UInt64(UInt8.max))) }

    /// A Go `int` that memberlist uses as a count or length: refused when negative.
    mutating func readCount() throws(WireError) -> Int {
        let v = try readInteger()
        guard v >= 0, v <= Int64(Int32.max) else { throw WireError(.malformed, "count \(v) out of range") }
        return Int(v)
    }
}
