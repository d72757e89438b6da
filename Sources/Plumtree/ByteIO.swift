/// Appends big-endian integers and length-prefixed fields to a byte buffer.
struct ByteWriter {
    var bytes: [UInt8]

    init(capacity: Int) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    init(prefix: [UInt8], capacity: Int) {
        bytes = prefix
        bytes.reserveCapacity(capacity)
    }

    @inline(__always)
    mutating func u8(_ value: UInt8) { bytes.append(value) }

    // Multi-byte fields go in as one bulk append each: appending byte by byte pays a uniqueness and a
    // capacity check per byte, which made IHave encoding (18 bytes per id) a visible cost of relaying.

    @inline(__always)
    mutating func u16(_ value: UInt16) { raw(value.bigEndian) }

    @inline(__always)
    mutating func u32(_ value: UInt32) { raw(value.bigEndian) }

    @inline(__always)
    mutating func u64(_ value: UInt64) { raw(value.bigEndian) }

    @inline(__always)
    mutating func id(_ id: MessageID) { raw((id.high.bigEndian, id.low.bigEndian)) }

    /// Appends the in-memory bytes of `value` (a big-endian integer or a tuple of them). Typed as
    /// `UnsafeBufferPointer<UInt8>`, the append takes the contiguous-storage path (one copy); a raw buffer
    /// would be appended element by element.
    @inline(__always)
    private mutating func raw<T>(_ value: T) {
        withUnsafeBytes(of: value) { bytes.append(contentsOf: $0.assumingMemoryBound(to: UInt8.self)) }
    }

    /// A name as one length byte and its UTF-8 (callers guarantee at most 255 bytes).
    mutating func name(_ name: String) {
        var name = name
        name.withUTF8 { utf8 in
            bytes.append(UInt8(truncatingIfNeeded: utf8.count))
            bytes.append(contentsOf: utf8)
        }
    }
}

/// Reads big-endian integers from untrusted bytes; every read checks the remaining length first.
struct ByteReader {
    let bytes: UnsafeRawBufferPointer
    var offset: Int = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    var remaining: Int { bytes.count - offset }

    @inline(__always)
    mutating func need(_ count: Int, _ field: String) throws(PlumtreeDecodeError) {
        guard count <= remaining else { throw .truncated(field: field, needed: count, available: remaining) }
    }

    @inline(__always)
    mutating func u8(_ field: String) throws(PlumtreeDecodeError) -> UInt8 {
        try need(1, field)
        defer { offset += 1 }
        return bytes[offset]
    }

    @inline(__always)
    mutating func u16(_ field: String) throws(PlumtreeDecodeError) -> UInt16 {
        try need(2, field)
        defer { offset += 2 }
        return UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
    }

    @inline(__always)
    mutating func u32(_ field: String) throws(PlumtreeDecodeError) -> UInt32 {
        try need(4, field)
        var value: UInt32 = 0
        for index in offset..<offset + 4 { value = value << 8 | UInt32(bytes[index]) }
        offset += 4
        return value
    }

    @inline(__always)
    mutating func u64Unchecked() -> UInt64 {
        var value: UInt64 = 0
        for index in offset..<offset + 8 { value = value << 8 | UInt64(bytes[index]) }
        offset += 8
        return value
    }

    @inline(__always)
    mutating func id(_ field: String) throws(PlumtreeDecodeError) -> MessageID {
        try need(16, field)
        let high = u64Unchecked()
        return MessageID(high: high, low: u64Unchecked())
    }

    /// `count` bytes, copied out; the caller has bounded `count` already.
    mutating func take(_ count: Int, _ field: String) throws(PlumtreeDecodeError) -> [UInt8] {
        try need(count, field)
        defer { offset += count }
        return Array(UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + count]))
    }

    /// A length-prefixed UTF-8 name (1...255 bytes); nil when empty or not UTF-8.
    mutating func name(_ field: String) throws(PlumtreeDecodeError) -> String? {
        let length = Int(try u8(field))
        try need(length, field)
        defer { offset += length }
        guard length > 0 else { return nil }
        let slice = UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + length])
        return validUTF8String(slice.assumingMemoryBound(to: UInt8.self))
    }

    func expectEnd() throws(PlumtreeDecodeError) {
        guard remaining == 0 else { throw .trailingBytes(remaining) }
    }
}

/// The string `bytes` spell in UTF-8, or nil if they are not valid UTF-8.
///
/// ASCII (every byte below 0x80, as node names usually are) is valid as it stands. Otherwise decoding
/// repairs invalid sequences with U+FFFD, so a string whose UTF-8 differs from the input means the input
/// was invalid. This stays on the standard library's specialised fast path, unlike the generic
/// `String(validating:as:)`, which matters on the per-message path (sender and origin names).
@inline(__always)
func validUTF8String(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
    let string = String(decoding: bytes, as: UTF8.self)
    if isASCII(bytes) { return string }
    return string.utf8.elementsEqual(bytes) ? string : nil
}

/// Whether every byte is below 0x80, eight bytes at a time.
@inline(__always)
func isASCII(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
    let raw = UnsafeRawBufferPointer(bytes)
    var high: UInt64 = 0
    var offset = 0
    while offset + 8 <= raw.count {
        high |= raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
        offset += 8
    }
    while offset < raw.count {
        high |= UInt64(raw[offset])
        offset += 1
    }
    return high & 0x8080_8080_8080_8080 == 0
}
