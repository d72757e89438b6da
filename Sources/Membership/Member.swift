import MemberlistWire
import ProtocolSupport

/// A member's state as memberlist numbers it on the wire (push/pull `State`: 0 alive, 1 suspect, 2 dead,
/// 3 left).
public enum MemberState: Int, Sendable, CaseIterable, CustomStringConvertible {
    case alive = 0
    case suspect = 1
    case dead = 2
    case left = 3

    /// Dead or left: no longer probed, gossiped to only for `gossipToTheDeadTime`.
    public var isDeadOrLeft: Bool { self == .dead || self == .left }

    /// The `state` label value of `memberlist_members`.
    public var description: String {
        switch self {
        case .alive: return "alive"
        case .suspect: return "suspect"
        case .dead: return "dead"
        case .left: return "left"
        }
    }
}

/// What this node knows about one member (itself included), as read-only state for health and the node.
public struct Member: Sendable, Equatable {
    /// The unique name memberlist identifies members by.
    public var name: String
    /// Where the member receives UDP packets and TCP streams.
    public var address: SocketAddress
    /// The member's metadata: serf tags (`0xFF` + msgpack map), at most 512 bytes.
    public var meta: [UInt8]
    /// The member's own counter: a higher one always wins; a member refutes suspicion by raising it.
    public var incarnation: UInt32
    public var state: MemberState
    /// When `state` last changed, on the driver's timeline.
    public var stateChange: Instant
    /// The protocol ranges it advertises.
    public var versions: Vsn
}

/// Members counted by state.
public struct MemberCounts: Sendable, Equatable {
    public var alive = 0
    public var suspect = 0
    public var dead = 0
    public var left = 0

    public init() {}

    public subscript(state: MemberState) -> Int {
        get {
            switch state {
            case .alive: return alive
            case .suspect: return suspect
            case .dead: return dead
            case .left: return left
            }
        }
        set {
            switch state {
            case .alive: alive = newValue
            case .suspect: suspect = newValue
            case .dead: dead = newValue
            case .left: left = newValue
            }
        }
    }

    /// Members not dead or left: what memberlist's `NumMembers` reports.
    public var live: Int { alive + suspect }
}
