import Membership
import Plumtree
import ProtocolSupport

// The node's own invariants, checked after every input in debug builds and whenever the configuration asks
// (the simulator's runs do). A violation is a bug in the core, so it stops the process with what was wrong.
extension NodeCore {
    mutating func checkInvariantsIfEnabled() {
        #if DEBUG
        checkInvariants()
        #else
        if config.checkInvariants { checkInvariants() }
        #endif
    }

    /// The first broken invariant of the node or of either core, or nil. The node's own:
    /// - overlay peers are members membership holds alive or suspect and that advertise Plumtree;
    /// - members on the reconnect list are not alive.
    ///
    /// The cores' own are in `PlumtreeCore.invariantViolation()` and `MembershipCore.invariantViolation()`.
    package func invariantViolation() -> String? {
        if let violation = plumtree.invariantViolation() { return "plumtree: \(violation)" }
        if let violation = membership?.invariantViolation() { return "membership: \(violation)" }
        let snapshot = plumtree.snapshot
        if let membership {
            for peer in snapshot.eagerPeers + snapshot.lazyPeers {
                guard let member = membership.member(named: peer), !member.state.isDeadOrLeft else {
                    return "overlay peer \(peer) is not a live member"
                }
                guard case .version = plumtreeLink(member.meta) else {
                    return "overlay peer \(peer) does not speak a Plumtree version of this node's"
                }
            }
            for name in reconnector.failed.keys {
                if let member = membership.member(named: name), !member.state.isDeadOrLeft {
                    return "reconnect target \(name) is \(member.state)"
                }
            }
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

    private mutating func checkInvariants() {
        if let violation = invariantViolation() { preconditionFailure("node \(config.name): \(violation)") }
        if let membership {
            if let violation = membership.incarnationWentDown(since: checkedIncarnations) {
                preconditionFailure("node \(config.name): membership: \(violation)")
            }
            checkedIncarnations = membership.incarnations
        }
    }
}
