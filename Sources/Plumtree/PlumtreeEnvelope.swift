/// How a Plumtree message rides inside a memberlist user message (memberlist message type 8).
///
/// memberlist's user messages do not say who sent them, and a node also receives serf's own user messages,
/// so the body starts with a marker byte, a version and the sender's name:
///
/// ```
/// +------+---------+---------+-------------------+--------------------------+
/// | 0x50 | version | nameLen | sender (UTF-8)    | PlumtreeMessage bytes    |
/// | 1 B  | 1 B     | 1 B     | nameLen bytes     | type byte + body         |
/// +------+---------+---------+-------------------+--------------------------+
/// ```
/// The marker (`P`) is outside the range of serf's message types (0...9), so a receiver tells the two apart
/// by the first byte. Every ``PlumtreeOutput/send(to:bytes:preferReliable:)`` the core emits is a complete
/// envelope: the driver sends it as a user message body, over UDP when it fits the packet budget.
public struct PlumtreeEnvelope: Equatable, Sendable {
    /// The first byte of every Plumtree user message.
    public static let marker: UInt8 = 0x50
    /// The version an envelope carries when none was negotiated (``PlumtreeVersions``).
    public static let version: UInt8 = 1

    /// The sending node's name, as membership knows it.
    public var sender: String
    /// The Plumtree message: type byte and body.
    public var message: ArraySlice<UInt8>

    public init(sender: String, message: ArraySlice<UInt8>) {
        self.sender = sender
        self.message = message
    }

    /// Whether `bytes` (a user message body) is a Plumtree envelope, judged by its first byte only.
    public static func isPlumtree(_ bytes: some Collection<UInt8>) -> Bool {
        bytes.first == marker
    }

    /// The envelope's header for `sender`; nil if the name is empty or longer than 255 UTF-8 bytes.
    public static func header(sender: String) -> [UInt8]? {
        let utf8 = Array(sender.utf8)
        guard !utf8.isEmpty, utf8.count <= PlumtreeMessage.maxNameBytes else { return nil }
        return [marker, version, UInt8(utf8.count)] + utf8
    }

    /// The full envelope bytes.
    public func encoded() -> [UInt8]? {
        guard let header = Self.header(sender: sender) else { return nil }
        return header + message
    }

    /// Splits a user message body into sender and message; the message is not decoded yet. An envelope
    /// whose version is outside `versions` is refused.
    public init(decoding bytes: [UInt8], versions: ClosedRange<UInt8> = PlumtreeVersions.known) throws(PlumtreeDecodeError) {
        guard bytes.first == Self.marker else { throw .notPlumtree(firstByte: bytes.first) }
        guard bytes.count >= 3 else { throw .truncated(field: "envelope header", needed: 3 - bytes.count, available: 0) }
        guard versions.contains(bytes[1]) else { throw .unsupportedVersion(bytes[1]) }
        let length = Int(bytes[2])
        guard bytes.count >= 3 + length else {
            throw .truncated(field: "envelope sender", needed: length, available: bytes.count - 3)
        }
        let sender = length == 0 ? nil : bytes.withUnsafeBufferPointer { validUTF8String(UnsafeBufferPointer(rebasing: $0[3..<3 + length])) }
        guard let sender else { throw .invalidSender }
        self.sender = sender
        self.message = bytes[(3 + length)...]
    }
}
