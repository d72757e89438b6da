import ProtocolSupport

// An announcement is only worth its datagram to a peer that may lack the payload. Both ends of a lazy link
// hold each message a few milliseconds after the broadcast and both queue an IHave for the other, so at
// low rates, where every flush carries a single id, half of all IHaves tell a peer what it has just told
// us it has. A peer that announced an id to us holds its payload (a node announces only what it delivered),
// so an announcement of that id still queued for it is withdrawn before the flush. Whichever end flushes
// first announces; the other stays silent.
//
// One exception keeps the tree optimization intact: our announcement is kept when it offers the peer a
// path at least `optimization_threshold` hops shorter than the one its copy took, the case in which the
// peer would graft us and prune its parent. Reliability is unaffected: a withdrawn announcement only ever
// went to a node that already had the message.

extension PlumtreeCore {
    /// `slot` holds `id`, received `peerHops` hops from its origin: drop our queued announcement of it to
    /// that peer, unless it offers the peer a path short enough for its tree optimization.
    mutating func withdrawAnnouncement(of id: MessageID, to slot: Int, peerHops: Int) {
        guard let position = peers[slot].queue.firstIndex(where: { $0.id == id }) else { return }
        if config.treeOptimization, peerHops - Int(peers[slot].queue[position].round) >= config.optimizationThreshold { return }
        peers[slot].queue.remove(at: position)
        ihaveQueued -= 1
        if ihaveQueued == 0 { ihaveFlushAt = nil }
        metrics.ihaveQueueSize.record(ihaveQueued)
    }
}
