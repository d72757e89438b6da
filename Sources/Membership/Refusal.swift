import MemberlistWire
import ProtocolSupport

/// Why the core refused a packet, a stream or part of one. The raw value is the `reason` label of
/// `memberlist_packets_dropped_total`.
public enum RefusalReason: String, Sendable, CaseIterable {
    /// Bytes that do not decode as the message they claim to be.
    case malformed
    /// A declared length runs past the end of the input.
    case truncated
    /// A `hasCRC` packet whose checksum does not match.
    case badCRC = "bad_crc"
    /// No key of the keyring opens it, or its encryption framing is wrong.
    case decryptionFailed = "decryption_failed"
    /// Plaintext while the keyring requires encryption.
    case plaintextRefused = "plaintext_refused"
    /// Over a size limit.
    case tooLarge = "too_large"
    /// A message type byte memberlist does not define.
    case unknownType = "unknown_type"
    /// A known message type where it is not allowed (push/pull in a packet, a reply of the wrong kind).
    case unexpectedType = "unexpected_type"
    /// Compression other than LZW, or an LZW stream that is not valid.
    case unsupportedCompression = "unsupported_compression"
    /// Compound or compress nested deeper than followed.
    case tooDeep = "too_deep"
    /// An alive or push/pull whose protocol versions we cannot speak with.
    case incompatibleVersion = "incompatible_version"
    /// A member announced from an address other than the one it is known at.
    case addressConflict = "address_conflict"
    /// A ping meant for another node name.
    case wrongNode = "wrong_node"
    /// An ack or nack whose sequence number no probe is waiting for (late, duplicate or forged).
    case unknownSender = "unknown_sender"
    /// An ack or nack that arrived after its probe ended (late under loss or delay, or duplicated).
    case staleAck = "stale_ack"
    /// The remote side answered a stream with an error message.
    case remoteError = "remote_error"
    /// A request this node has no room for now (too many indirect probes in flight).
    case overloaded
    /// This node could not seal a message of its own (its key is unusable): nothing was sent. Counted
    /// apart from `decryption_failed`, which is about what others sent.
    case encryptFailed = "encrypt_failed"
    /// A packet or stream of another cluster: its label header differs from ours (or one of us has none).
    case labelMismatch = "label_mismatch"

    init(_ wire: WireError.Reason) {
        switch wire {
        case .malformed: self = .malformed
        case .truncated: self = .truncated
        case .badCRC: self = .badCRC
        case .decryptFailed: self = .decryptionFailed
        case .tooLarge: self = .tooLarge
        case .unknownType: self = .unknownType
        case .unexpectedType: self = .unexpectedType
        case .unsupportedCompression: self = .unsupportedCompression
        case .plaintextRefused: self = .plaintextRefused
        case .tooDeep: self = .tooDeep
        case .invalidKey, .encryptFailed: self = .encryptFailed
        case .labelMismatch: self = .labelMismatch
        }
    }
}

/// One refused input: what, from where, why. The core counts it before reporting it.
public struct Refusal: Sendable, Equatable, CustomStringConvertible {
    public var reason: RefusalReason
    /// The address the packet or stream came from (or went to, for a reply).
    public var source: SocketAddress?
    /// What exactly was wrong, for a log line.
    public var detail: String
    /// For `label_mismatch`: the label the peer sent ("" when it sent none), so a driver can log each
    /// foreign label once rather than every packet of it.
    public var remoteLabel: String?

    public init(reason: RefusalReason, source: SocketAddress?, detail: String, remoteLabel: String? = nil) {
        self.reason = reason
        self.source = source
        self.detail = detail
        self.remoteLabel = remoteLabel
    }

    public var description: String {
        "refused \(reason.rawValue) from \(source.map(\.description) ?? "-"): \(detail)"
    }
}
