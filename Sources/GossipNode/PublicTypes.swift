import MemberlistWire
import Membership
import GossipNodeCore
import Plumtree
import ProtocolSupport

/// A broadcast as this node received it: exactly once per message.
public struct GossipMessage: Sendable, Equatable {
    /// The message's cluster-wide id (16 bytes), as hex.
    public var id: String
    /// The node that broadcast it.
    public var origin: String
    /// How many hops it travelled to reach this node (1: straight from the origin).
    public var hops: Int
    public var payload: [UInt8]

    init(_ delivered: DeliveredMessage) {
        id = delivered.id.description
        origin = delivered.origin
        hops = delivered.hops
        payload = delivered.payload
    }
}

/// A member of the cluster as this node sees it.
public struct MemberInfo: Sendable, Equatable {
    public enum State: String, Sendable { case alive, suspect, dead, left }

    public var name: String
    public var address: SocketAddress
    public var state: State
    public var incarnation: UInt32
    /// serf tags (`role` alone for a member whose metadata is not in serf's tag format).
    public var tags: [String: String]

    /// Whether this member runs Plumtree (it advertises the `plumtree` tag).
    public var runsPlumtree: Bool { tags[PlumtreeTag.key] != nil }

    init(_ member: Member) {
        name = member.name
        address = member.address
        incarnation = member.incarnation
        tags = (try? SerfTags.decode(member.meta)) ?? [:]
        switch member.state {
        case .alive: state = .alive
        case .suspect: state = .suspect
        case .dead: state = .dead
        case .left: state = .left
        }
    }
}

/// A change in membership, in the order this node learnt of it.
public struct MembershipChange: Sendable, Equatable {
    public enum Kind: String, Sendable {
        /// New, or back after being dead or gone.
        case joined
        /// Announced new tags.
        case updated
        /// Suspected of having failed; it may still refute.
        case suspect
        /// Refuted a suspicion.
        case recovered
        /// Declared dead.
        case failed
        /// Left gracefully.
        case left
        /// Forgotten after being dead or gone for a while.
        case reaped
    }

    public var kind: Kind
    public var member: MemberInfo
}

/// The serf tag by which Plumtree nodes recognise each other: its value is the Plumtree protocol version.
public typealias PlumtreeTag = GossipNodeCore.PlumtreeTag

extension MembershipChange {
    init(_ event: MemberEvent) {
        switch event {
        case .joined(let m): self.init(kind: .joined, member: MemberInfo(m))
        case .updated(let m): self.init(kind: .updated, member: MemberInfo(m))
        case .suspect(let m): self.init(kind: .suspect, member: MemberInfo(m))
        case .recovered(let m): self.init(kind: .recovered, member: MemberInfo(m))
        case .failed(let m): self.init(kind: .failed, member: MemberInfo(m))
        case .left(let m): self.init(kind: .left, member: MemberInfo(m))
        case .reaped(let m): self.init(kind: .reaped, member: MemberInfo(m))
        }
    }
}
