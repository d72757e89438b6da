// The messages a UDP packet can carry once compound, compress and CRC envelopes are removed.

/// One message from a UDP packet.
public enum PacketMessage: Hashable, Sendable {
    case ping(Ping)
    case indirectPing(IndirectPingReq)
    case ackResp(AckResp)
    case nackResp(NackResp)
    case suspect(Suspect)
    case alive(Alive)
    case dead(Dead)
    /// A user message: on UDP the payload follows the type byte directly, without a header.
    case user([UInt8])

    /// The message's bytes: its type byte, then its msgpack map (or, for a user message, its payload).
    public func encoded() -> [UInt8] {
        switch self {
        case .ping(let m): return m.encoded()
        case .indirectPing(let m): return m.encoded()
        case .ackResp(let m): return m.encoded()
        case .nackResp(let m): return m.encoded()
        case .suspect(let m): return m.encoded()
        case .alive(let m): return m.encoded()
        case .dead(let m): return m.encoded()
        case .user(let payload):
            var out: [UInt8] = [MessageType.user.rawValue]
            out.append(contentsOf: payload)
            return out
        }
    }

    /// The type byte of this message.
    public var messageType: MessageType {
        switch self {
        case .ping: return .ping
        case .indirectPing: return .indirectPing
        case .ackResp: return .ackResp
        case .nackResp: return .nackResp
        case .suspect: return .suspect
        case .alive: return .alive
        case .dead: return .dead
        case .user: return .user
        }
    }
}
