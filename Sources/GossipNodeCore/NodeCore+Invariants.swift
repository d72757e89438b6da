import Membership
import Plumtree
import ProtocolSupport

// The node's own invariants, checked after every input in debug builds and whenever the configuration asks
// (the simulator's runs do). A violation is a bug in the core, so it stops the process with what was wrong.
extension NodeCore {
    func checkInvariantsIfEnabled() {
        #if DEBUG
        checkInvariants()
        #else
        if config.checkInvariants { checkInvariants() }
        #endif
    }

    /// Overlay peers that membership knows advertise Plumtree; members on the reconnect list are not alive;
    /// the eager and lazy sets are disjoint.
    ///
    /// An overlay peer may be a name membership has not heard of yet, or holds dead: a Neighbor message can
    /// arrive before the member's alive does (a fresh cluster), or from a member this side has just declared
    /// dead (a one-way partition). Plumtree cannot reach such a peer through membership, and the peer drops
    /// the link when its next message is answered with a Disconnect.
    package func invariantViolation() -> String? {
        let snapshot = plumtree.snapshot
        if let membership {
            for peer in snapshot.eagerPeers + snapshot.lazyPeers {
                guard let member = membership.member(named: peer), !member.state.isDeadOrLeft else { continue }
                guard Self.advertisesPlumtree(member.meta) else { return "overlay peer \(peer) does not advertise Plumtree" }
            }
            for name in reconnector.failed.keys {
                if let member = membership.member(named: name), !member.state.isDeadOrLeft {
                    return "reconnect target \(name) is \(member.state)"
                }
            }
        }
        if Set(snapshot.eagerPeers).intersection(snapshot.lazyPeers).first != nil {
            return "eager and lazy peers overlap"
        }
        return nil
    }

    /// After ``handleTimeout(now:into:)`` the node's own timer (the reconnect schedule) is no longer due at
    /// `now`: a deadline the call does not move makes a driver call it again at once, forever (a node that
    /// had left once did this). A protocol core may ask for "now" again on purpose (Plumtree announces its
    /// neighbours on the call after a burst of member events), so only the node's own part is checked.
    func checkDeadlineProgress(now: Instant) {
        #if !DEBUG
        guard config.checkInvariants else { return }
        #endif
        guard membership != nil, !isLeft else { return }
        if let next = reconnector.nextDeadline(alone: isAlone), next <= now {
            preconditionFailure("node \(config.name): handleTimeout(\(now)) left a deadline at \(next)")
        }
    }

    private func checkInvariants() {
        if let violation = invariantViolation() { preconditionFailure("node \(config.name): \(violation)") }
    }
}
