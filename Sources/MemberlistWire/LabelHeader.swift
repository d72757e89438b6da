// memberlist's cluster label header (label.go): `[244][length][label]`, in front of everything else on a
// packet, and once at the start of a stream the dialer opens. It is not a message type: 244 was chosen far
// from the encryption versions (0, 1) and the message types so that it cannot be mistaken for either.

/// Reading and writing the label header.
public enum LabelHeader {
    /// memberlist's `hasLabelMsg`.
    public static let typeByte: UInt8 = 244
    /// memberlist's `LabelMaxSize`: the length is one byte.
    public static let maxLabelSize = 255
    /// The most bytes a header takes (type, length, 255 label bytes).
    public static let maxSize = 2 + maxLabelSize

    /// What the start of some bytes holds.
    public enum Scan: Equatable, Sendable {
        /// No header: the first byte is not 244 (or there is no byte at all).
        case absent
        /// A header has begun but its end has not arrived (a stream read in pieces).
        case incomplete
        /// A header carrying `label`; what follows starts at `end`.
        case present(label: [UInt8], end: Int)
    }

    /// `bytes` with the header of `label` in front (memberlist `makeLabelHeader`); unchanged when `label`
    /// is empty, as memberlist sends no header then. Package-only: its callers hold a label already
    /// validated (``LabelPolicy``, ``Packet/encode(_:compress:addCRC:keyring:nonce:label:)``).
    package static func wrap(_ bytes: [UInt8], label: [UInt8]) -> [UInt8] {
        guard !label.isEmpty else { return bytes }
        precondition(label.count <= maxLabelSize, "a label is validated to 1...255 bytes before use")
        var out: [UInt8] = []
        out.reserveCapacity(2 + label.count + bytes.count)
        out.append(typeByte)
        out.append(UInt8(label.count))
        out.append(contentsOf: label)
        out.append(contentsOf: bytes)
        return out
    }

    /// The header at the start of `bytes`, if any. A length byte of zero is `malformed` (memberlist: "label
    /// header cannot be empty when present"); it is refused as soon as the length byte is there.
    public static func scan(_ bytes: [UInt8]) throws(WireError) -> Scan {
        guard let first = bytes.first, first == typeByte else { return .absent }
        guard bytes.count >= 2 else { return .incomplete }
        let size = Int(bytes[1])
        guard size >= 1 else { throw WireError(.malformed, "label header cannot be empty when present") }
        guard bytes.count >= 2 + size else { return .incomplete }
        return .present(label: Array(bytes[2..<(2 + size)]), end: 2 + size)
    }

    /// How many bytes the header that `held` then `next` begin with takes (0 without one), as far as its
    /// length byte is there: a reader's size limit grows by exactly this before the header is read.
    static func leadingLength(_ held: [UInt8], then next: some Collection<UInt8>) -> Int {
        guard (held.first ?? next.first) == typeByte else { return 0 }
        if held.count >= 2 { return 2 + Int(held[1]) }
        let lengthByte = next.dropFirst(1 - held.count).first
        return lengthByte.map { 2 + Int($0) } ?? 2
    }

    /// ``scan(_:)`` of a whole datagram, where a header cut short can never be completed: `truncated`.
    public static func scanPacket(_ bytes: [UInt8]) throws(WireError) -> Scan {
        let scan = try scan(bytes)
        if scan == .incomplete { throw WireError(.truncated, "cannot decode label; packet has been truncated") }
        return scan
    }
}
