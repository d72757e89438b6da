import Membership
import ProtocolSupport

/// Many members failing at once, as this node sees it: the signature of a network partition (or of this
/// node being cut off), as opposed to one member crashing.
package struct PartitionSuspicion: Sendable, Equatable {
    /// The members that failed within the window, in the order they failed.
    package var failed: [String]
    /// Other members that were live at the start of the window (those still live plus `failed`).
    package var members: Int
    /// How far back the failures were counted: one suspicion timeout at its longest.
    package var window: Duration
}

/// Decides when failures add up to a suspected partition, so that both drivers (and the logs of both)
/// agree on it.
///
/// The rule: at least ``minimumFailures`` members, and at least a third of the other members that were
/// live, failed within one suspicion timeout at its longest (memberlist's `suspicionMult x max(1,
/// log10(n)) x probeInterval`, times Lifeguard's `suspicionMaxTimeoutMult`). Members that are cut off are
/// suspected at about the same time and declared dead at most that long later, so a partition's failures
/// fall within that window; independent crashes rarely reach a third of the cluster within it. Two is the least because one failure in a cluster of
/// three is a third, and one crash is not a partition. After a report the detector is quiet for one window,
/// so a partition is reported once, not once per failed member.
struct PartitionDetector {
    static let minimumFailures = 2

    private var recent: [(name: String, at: Instant)] = []
    private var quietUntil: Instant?

    /// Records that `name` failed at `now`; `liveOthers` is the number of other members still live, and
    /// `window` the suspicion timeout. Returns the suspicion when this failure completes one.
    mutating func memberFailed(_ name: String, liveOthers: Int, window: Duration, now: Instant) -> PartitionSuspicion? {
        recent.removeAll { $0.at + window < now || $0.name == name }
        recent.append((name, now))
        if let quietUntil, now < quietUntil { return nil }
        let members = liveOthers + recent.count
        guard recent.count >= Self.minimumFailures, recent.count * 3 >= members else { return nil }
        let suspicion = PartitionSuspicion(failed: recent.map(\.name), members: members, window: window)
        recent.removeAll()
        quietUntil = now + window
        return suspicion
    }
}
