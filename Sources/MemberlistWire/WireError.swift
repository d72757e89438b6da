// Every refusal of untrusted bytes, with a reason label fit for a metric.

/// Why bytes from a peer were refused.
///
/// `reason` is a small closed set meant for a metric label; `detail` says what exactly was wrong, for a log line.
public struct WireError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The metric-label class of a refusal.
    public enum Reason: String, Sendable, CaseIterable {
        /// Bytes that do not form what they claim to be (bad msgpack tag, wrong value type, bad field value).
        case malformed
        /// The input ends before what it declares (a length larger than the remaining bytes).
        case truncated
        /// A `hasCRC` packet whose checksum does not match.
        case badCRC = "bad_crc"
        /// No key of the keyring opens the message, or the encryption framing is wrong.
        case decryptFailed = "decryption_failed"
        /// Over a size limit (20 MiB streams, inflated packets, meta 512 bytes, too many compound parts).
        case tooLarge = "too_large"
        /// A message type byte we do not know.
        case unknownType = "unknown_type"
        /// A known message type that is not allowed where it appeared (push/pull in a UDP packet, ...).
        case unexpectedType = "unexpected_type"
        /// A compress message whose algorithm is not LZW, or an LZW stream that is not valid.
        case unsupportedCompression = "unsupported_compression"
        /// Plaintext where the keyring requires encryption.
        case plaintextRefused = "plaintext_refused"
        /// Compound or compress messages nested deeper than we follow.
        case tooDeep = "too_deep"
        /// A key of the wrong size, removing the primary key, using an unknown key.
        case invalidKey = "invalid_key"
        /// The cipher library failed while sealing (our own bytes, not the peer's).
        case encryptFailed = "encrypt_failed"
        /// A cluster label header (memberlist's `Label`) other than ours, one where we have none, none where
        /// we have one, or one while the inbound check is skipped (memberlist's "double label").
        case labelMismatch = "label_mismatch"
    }

    public var reason: Reason
    public var detail: String
    /// For `label_mismatch` only: the label the peer sent, empty when it sent none. Kept apart from
    /// `detail` so a driver can log each distinct foreign label once instead of once per packet.
    public var remoteLabel: [UInt8]?

    public init(_ reason: Reason, _ detail: String, remoteLabel: [UInt8]? = nil) {
        self.reason = reason
        self.detail = detail
        self.remoteLabel = remoteLabel
    }

    /// The label to count the refusal under.
    public var label: String { reason.rawValue }

    public var description: String { "\(reason.rawValue): \(detail)" }
}
