import Plumtree
import ProtocolSupport

extension HealthInput {
    /// The health input for a node whose Plumtree core reports `plumtree`, plus what membership and the
    /// node know.
    public init(
        plumtree: PlumtreeSnapshot, running: Bool, minimumPeers: Int, awarenessScore: Int,
        members: MembersByState, otherLiveMembers: Int
    ) {
        self.init(
            running: running, eagerPeers: plumtree.eagerPeers.count, lazyPeers: plumtree.lazyPeers.count,
            minimumPeers: minimumPeers, cacheSize: plumtree.cacheSize, cacheCapacity: plumtree.cacheCapacity,
            pendingGrafts: plumtree.pendingGrafts, awarenessScore: awarenessScore, members: members,
            otherLiveMembers: otherLiveMembers)
    }
}

extension HealthModel {
    /// Feeds the Plumtree core's cumulative graft counters into the window, at `now`.
    public mutating func observe(_ plumtree: PlumtreeSnapshot, at now: Instant) {
        observeGraftTotals(successes: plumtree.graftSuccesses, failures: plumtree.graftFailures, at: now)
    }
}
