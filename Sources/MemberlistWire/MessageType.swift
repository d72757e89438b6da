// The first byte of every memberlist message, packet or stream (memberlist net.go, messageType).

/// The type byte that starts every memberlist message.
///
/// memberlist's 244 (`hasLabelMsg`) is not a message: it is the cluster label header, which can only lead a
/// packet or a stream request, and is read there by ``LabelHeader`` before any message type. Anywhere else
/// (inside a compound, a reply, after decryption) 244 is an unknown type, as it is for memberlist.
public enum MessageType: UInt8, Sendable, CaseIterable {
    case ping = 0
    case indirectPing = 1
    case ackResp = 2
    case suspect = 3
    case alive = 4
    case dead = 5
    case pushPull = 6
    case compound = 7
    case user = 8
    case compress = 9
    case encrypt = 10
    case nackResp = 11
    case hasCRC = 12
    case errResp = 13
}
