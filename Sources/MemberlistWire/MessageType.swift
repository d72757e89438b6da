// The first byte of every memberlist message, packet or stream (memberlist net.go, messageType).

/// The type byte that starts every memberlist message.
///
/// Upstream memberlist 0.3+ adds 244 (`hasLabel`); the serf we interoperate with does not understand it,
/// so it is neither written nor accepted here.
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
