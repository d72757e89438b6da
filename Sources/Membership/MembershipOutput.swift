import ProtocolSupport

/// Identifies a stream the core asked the driver to open; the driver hands it back with the outcome.
public struct StreamID: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let rawValue: UInt64
    public init(rawValue: UInt64) { self.rawValue = rawValue }
    public static func < (lhs: StreamID, rhs: StreamID) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { "stream-\(rawValue)" }
}

/// A TCP stream the core wants opened: connect to `to`, write `request` in one go, then either read the
/// reply (when `expectsReply`) and hand it to ``MembershipCore/streamCompleted(_:result:now:into:)``, or
/// close. The whole exchange must end within `timeout` (connect included); past it the driver reports
/// ``StreamFailure/timedOut``.
public struct StreamRequest: Sendable, Equatable {
    public var id: StreamID
    public var to: SocketAddress
    /// The complete request, already compressed and encrypted as configured.
    public var request: [UInt8]
    public var timeout: Duration
    /// Whether the remote side answers on the same connection (push/pull, TCP ping) before closing.
    /// When false (a reliable user message) the driver closes after writing and still reports the outcome
    /// (`.reply([])` on success).
    public var expectsReply: Bool

    public init(id: StreamID, to: SocketAddress, request: [UInt8], timeout: Duration, expectsReply: Bool) {
        self.id = id
        self.to = to
        self.request = request
        self.timeout = timeout
        self.expectsReply = expectsReply
    }
}

/// Why an outbound stream produced no reply.
public enum StreamFailure: Sendable, Equatable {
    /// The connection was refused or reset, or the address is unreachable.
    case refused
    /// `timeout` passed before the reply was complete.
    case timedOut
    /// The connection closed before a complete reply arrived.
    case closed
}

/// What became of a stream the core asked for.
public enum StreamResult: Sendable, Equatable {
    /// The complete reply bytes as read from the connection (empty for a stream without reply).
    case reply([UInt8])
    case failed(StreamFailure)
}

/// A change in membership the layers above act on.
public enum MemberEvent: Sendable, Equatable {
    /// A member became alive: new, or back from dead or left (memberlist `NotifyJoin`).
    case joined(Member)
    /// An alive member announced new metadata (`NotifyUpdate`).
    case updated(Member)
    /// A member is suspected of having failed; it has the suspicion timeout to refute.
    case suspect(Member)
    /// A suspect member refuted the suspicion and is alive again.
    case recovered(Member)
    /// A member was declared dead (`NotifyLeave` for a failure).
    case failed(Member)
    /// A member left gracefully (`NotifyLeave` for a dead message sent by the member itself).
    case left(Member)
    /// A dead or left member was removed from the member table after `gossipToTheDeadTime`.
    case reaped(Member)
}

/// A user message (memberlist type 8) for the layer above.
public struct ReceivedUserMessage: Sendable, Equatable {
    /// The sender's name when the source address belongs to a known member (memberlist does not name the
    /// sender of a user message, so this is a lookup by address).
    public var from: String?
    /// Where the packet or stream came from.
    public var address: SocketAddress
    /// The message without memberlist's type byte.
    public var bytes: [UInt8]
    /// Whether it came over a TCP stream (reliable) rather than a UDP packet.
    public var reliable: Bool
}

/// Everything the core asks its driver to do, appended to the driver's buffer in order.
public enum MembershipOutput: Sendable, Equatable {
    /// Send one UDP datagram. The bytes are final (compound, CRC, encryption applied).
    case sendDatagram(to: SocketAddress, bytes: [UInt8])
    /// Open a TCP stream; report its outcome with ``MembershipCore/streamCompleted(_:result:now:into:)``.
    case openStream(StreamRequest)
    /// A membership change.
    case event(MemberEvent)
    /// A user message for the layer above.
    case userMessage(ReceivedUserMessage)
    /// An input (or part of one) was refused; already counted in `memberlist_packets_dropped_total`.
    case refused(Refusal)
    /// The graceful leave's dead message has been gossiped as often as a broadcast is; the driver may shut
    /// down now (memberlist's `Leave` waits for the same moment).
    case leaveBroadcastDone
    /// The push/pull with a seed given to ``MembershipCore/join(_:now:into:)`` ended: `failure` is nil when
    /// the seed's state was merged, else says what failed.
    case joinCompleted(seed: SocketAddress, failure: JoinFailure?)
    /// A reliable user message to `member` was accepted by ``MembershipCore/sendUserMessage(to:_:reliable:now:into:)``
    /// but its stream failed: the message is lost unless the layer above repairs it.
    case userMessageFailed(to: String, StreamFailure)
}

/// Why a push/pull with a seed did not merge its state.
public enum JoinFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// The stream failed: nothing listens there, or no answer came in time.
    case unreachable(StreamFailure)
    /// The seed answered with an error message.
    case remoteError(String)
    /// The seed answered with something other than its state, or with bytes that do not decode.
    case invalidReply(String)
    /// The seed's state names protocol versions this node cannot speak.
    case incompatible(String)
    /// The cluster already has a live member of this node's name, at another address. Nothing of the seed's
    /// state was merged: this node must not take part, and must not announce a leave under that name
    /// either, which would mark the real member left.
    case nameInUse(address: SocketAddress)
    /// The seed is a host name that did not resolve: `reason` is the resolver's own words (gai_strerror).
    /// Never raised by membership, which is handed addresses only; the node core reports it for a seed
    /// its driver could not resolve, so that a join has one kind of failure whichever step failed.
    case unresolved(host: String, reason: String)

    public var description: String {
        switch self {
        case .unreachable(.refused): "connection refused: nothing listens at that address"
        case .unreachable(.timedOut): "no answer within the TCP timeout"
        case .unreachable(.closed): "the connection closed before a whole reply"
        case .remoteError(let why): "the seed answered with an error: \(why)"
        case .invalidReply(let why): "the seed's reply is not its state: \(why)"
        case .incompatible(let why): "incompatible protocol versions: \(why)"
        case .nameInUse(let address): "a member of this name is already alive at \(address)"
        case .unresolved(let host, let reason): "cannot resolve '\(host)': \(reason)"
        }
    }
}
