import MemberlistWire
import Membership
import Plumtree
import ProtocolSupport

/// Identifies a stream another node opened to this one, chosen by the driver; the core answers it with
/// ``NodeOutput/answerStream(_:reply:)`` exactly once.
package struct InboundStreamID: Hashable, Sendable, CustomStringConvertible {
    package let rawValue: UInt64
    package init(rawValue: UInt64) { self.rawValue = rawValue }
    package var description: String { "inbound-\(rawValue)" }
}

/// Everything the node core asks its driver to do, appended to the driver's buffer in order.
///
/// The driver turns these into I/O (sockets and timers, or simulated network events) and hands the
/// application what is its own. It decides nothing: which member to reconnect to, whether a member speaks
/// Plumtree, where a user message goes, all of it is decided by the core before an output leaves it.
package enum NodeOutput: Sendable, Equatable {
    /// Send one UDP datagram; the bytes are final.
    case sendDatagram(to: SocketAddress, bytes: [UInt8])
    /// Open a TCP stream, write the request, read the reply if one is expected, and report the outcome
    /// with ``NodeCore/streamCompleted(_:result:now:into:)``.
    case openStream(StreamRequest)
    /// Answer a stream another node opened: write `reply` if there is one, then close.
    case answerStream(InboundStreamID, reply: [UInt8]?)
    /// Hand a broadcast to the application: once per message per node.
    case deliver(DeliveredMessage)
    /// A membership change, for the application and the logs.
    case member(MemberEvent)
    /// A step of a Graft, for tracing and logs.
    case graft(GraftEvent)
    /// An input, or part of one, was refused; already counted under its reason.
    case refused(NodeRefusal)
    /// The graceful leave has been gossiped; the driver may shut down.
    case leaveDone
    /// A join the application asked for ended: `failure` is nil when the seed's state was merged (for a
    /// seed given by name: the state of at least one of its addresses).
    case joinCompleted(seed: Seed, failure: JoinFailure?)
    /// Look up every A and AAAA record of `host` and answer with
    /// ``NodeCore/seedResolved(host:port:result:now:into:)``, exactly once, without blocking: the core
    /// resolves no name itself, and asks again at each join and each retry of the seed.
    case resolveSeed(host: String, port: UInt16)
    /// The core tried to reach a failed member or a seed again, and what became of it.
    case reconnect(ReconnectEvent)
    /// Many members failed within one suspicion timeout (``PartitionDetector``'s rule): for the logs and
    /// the run's observations. Follows the `.member` output of the failure that completed it.
    case partitionSuspected(PartitionSuspicion)
    /// A member runs Plumtree in versions this node does not speak: it gets no broadcast from here, nor
    /// this node from it (reported once each time a member enters that state; `incompatibleMembers` holds
    /// who is in it now).
    case plumtreeVersionMismatch(PlumtreeVersionMismatch)
    /// A request for the broadcast tree (``NodeCore/requestTree(timeout:now:into:)``) ended.
    case tree(id: UInt32, BroadcastTreeView)
    /// This node's keyring changed, or a change was refused (already counted); for the log.
    case keyringChanged(KeyringChange)
    /// A keyring operation this node started (``NodeCore/changeKeyring(_:now:into:)``, query `id`) ended:
    /// every live member answered, or its query timed out.
    case keyringReport(id: UInt32, KeyringReport)
}

/// A refusal from either protocol core, reported one way.
package enum NodeRefusal: Sendable, Equatable, CustomStringConvertible {
    /// memberlist framing, a membership message, or a stream; counted in `memberlist_packets_dropped_total`.
    case membership(Refusal)
    /// A Plumtree message from `address` (nil when not known); counted in `plumtree_messages_refused_total`.
    case plumtree(from: SocketAddress?, PlumtreeDecodeError)
    /// A serf query, query response or relay; counted in `gossip_node_serf_messages_refused_total`.
    case serf(from: SocketAddress, WireError)

    /// The metric label the refusal was counted under.
    package var reason: String {
        switch self {
        case .membership(let refusal): refusal.reason.rawValue
        case .plumtree(_, let error): error.reason
        case .serf(_, let error): error.label
        }
    }

    /// Whether this happens in a healthy cluster under ordinary loss and delay (a late ack), so that it
    /// belongs in debug logs rather than in warnings.
    package var isRoutine: Bool {
        switch self {
        case .membership(let refusal): refusal.reason == .staleAck || refusal.reason == .unknownSender
        case .plumtree, .serf: false
        }
    }

    package var description: String {
        switch self {
        case .membership(let refusal): "\(refusal)"
        case .plumtree(let address, let error): "Plumtree message from \(address.map(\.description) ?? "-"): \(error)"
        case .serf(let address, let error): "serf message from \(address): \(error)"
        }
    }
}

/// A reconnect attempt and its outcome.
package enum ReconnectEvent: Sendable, Equatable {
    /// A push/pull went to `target`, a failed member's address (`member`) or a configured seed (`member`
    /// nil; a seed given by name is resolved first, and every address it gives is tried).
    case attempted(member: String?, target: Seed)
    /// It merged the far side's state: the two sides know each other again.
    case succeeded(member: String?, target: Seed)
    /// It failed; the next try follows the member's backoff.
    case failed(member: String?, target: Seed, JoinFailure)
    /// The member stayed failed past the reconnect timeout and is no longer tried.
    case expired(member: String)
}
