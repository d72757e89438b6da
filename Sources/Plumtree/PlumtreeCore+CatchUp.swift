import ProtocolSupport

// Catching up a member that comes up, beyond the paper and beyond the random digest walk.
//
// A member that was unreachable (slow, partitioned, isolated, restarted) misses what was broadcast
// meanwhile, and nobody knows what it lacks. The random walk of anti-entropy offers every cached id to some
// random member in time, but not to this one in particular: a given window can miss a given member for
// minutes (the randomized fault runs found a message missing a returning node for 115 s). What it most
// likely lacks is the newest part of the cache, so a few of the nodes that see it come up start a walk for
// it from the newest mature id backwards: one digest at the next anti-entropy round, then the next older
// window with every answer to its Pull. The walk ends by itself at the first window it lacks nothing of,
// which is about where it left. About `catchUpOffers` nodes of the cluster do this per member that comes up.
extension PlumtreeCore {
    /// Nodes expected to walk a member that comes up through their cache, whatever the cluster's size.
    static let catchUpOffers = 4

    mutating func scheduleCatchUp(for name: String) {
        // Sampled so that a member coming up does not draw digests from every node of a large cluster.
        guard cache.endSequence > cache.startSequence, !members.isEmpty,
              random.next() % UInt64(members.count) < UInt64(Self.catchUpOffers) else { return }
        guard !catchUp.contains(name) else { return }
        if catchUp.count >= 64 { catchUp.removeFirst() }
        catchUp.append(name)
    }

    /// Starts the backward walk of each member that came up since the last round.
    mutating func offerCatchUp(now: Instant, into output: inout [PlumtreeOutput]) {
        guard !catchUp.isEmpty else { return }
        let end = matureEnd(now: now)
        let names = catchUp
        catchUp.removeAll(keepingCapacity: true)
        for name in names {
            guard let slot = slotByName.slot(named: name, in: peers), peers[slot].isMember else { continue }
            peers[slot].digestWalk = DigestWalk(next: end, backward: true)
            _ = offerDigest(to: slot, matureEnd: end, now: now, into: &output)
        }
    }
}
