import ProtocolSupport

// Catching up a member that comes up, beyond the paper and beyond the random digest walk.
//
// A member that was unreachable (slow, partitioned, isolated, restarted) misses what was broadcast
// meanwhile, and nobody knows what it lacks. The random walk of anti-entropy offers every cached id to some
// random member in time, but not to this one in particular: a given window can miss a given member for
// minutes (the randomized fault runs found a message missing a returning node for 115 s). What it most
// likely lacks is the newest part of the cache, so a few of the nodes that see it come up walk it back
// through their cache from where the cache ended when it came up: one digest at an anti-entropy round,
// then the next older window with every answer to its Pull. The walk ends by itself at the first window it
// lacks nothing of, which is about where it left. What arrives after it came up reaches it along its new
// overlay links, so the walk need not cover that.
//
// The walk starts only once the newest message it covers is old enough to offer (antiEntropyMinAge), as
// every digest does. Starting from the newest message already old enough instead would skip the ones
// broadcast in the last seconds before the member came up: those no longer travel the tree towards it, and
// a fault run found one such message never reaching a node that restarted after leaving.
// About `catchUpOffers` nodes of the cluster do this per member that comes up.
//
// "Comes up" is wider than a join. A member that membership suspected and that then refuted was unreachable
// for a while too (isolated, paused, or cut off by a partition too short for anyone to declare it dead), and
// nobody saw it fail or come back: a fault run found a node isolated for 9 s after a 17 s partition missing 14
// messages for good, every other node having only suspected it. So a refuted suspicion starts the same walk.
// And a node that sees a member come back cannot ask to be walked itself (nothing on the wire says "walk
// me"), but the first digest it sends there that the member lacks something of shows the two were apart:
// the member then walks the sender back in turn, whatever its sampling said.
extension PlumtreeCore {
    /// Nodes expected to walk a member that comes up through their cache, whatever the cluster's size.
    static let catchUpOffers = 4

    /// The most members waiting for a walk at once; the oldest waiting is dropped past it.
    static let catchUpLimit = 64

    /// Schedules a backward walk for `name` from the cache's end. `sampled`: only about ``catchUpOffers``
    /// nodes of the cluster take it on, so that a member coming up does not draw digests from every node of a
    /// large cluster; unsampled when this node has evidence of its own that the member lacks something.
    mutating func scheduleCatchUp(for name: String, sampled: Bool = true) {
        guard cache.endSequence > cache.startSequence, !members.isEmpty else { return }
        guard !sampled || random.next() % UInt64(members.count) < UInt64(Self.catchUpOffers) else { return }
        // Coming up again before its walk started: the walk covers up to the newer end.
        catchUp.removeAll { $0.name == name }
        if catchUp.count >= Self.catchUpLimit { catchUp.removeFirst() }
        catchUp.append((name, cache.endSequence))
    }

    /// Membership suspected `name`, and it refuted: it was likely unreachable meanwhile, so it is walked back
    /// through the cache as a member that came up is.
    public mutating func memberRecovered(_ name: String, now: Instant) {
        guard let slot = slotByName.slot(named: name, in: peers), peers[slot].isMember else { return }
        antiEntropyMembershipChanged(now: now)
        scheduleCatchUp(for: name)
    }

    /// A digest from `slot` held something this node lacked: the two were apart, so `slot` likely lacks
    /// something of this node's too. Walked back unless a walk for it is already waiting.
    mutating func reciprocateCatchUp(for slot: Int) {
        let name = peers[slot].name
        guard peers[slot].isMember, !catchUp.contains(where: { $0.name == name }) else { return }
        scheduleCatchUp(for: name, sampled: false)
    }

    /// Starts the backward walk of each member that came up, once what it covers is old enough to offer.
    mutating func offerCatchUp(now: Instant, into output: inout [PlumtreeOutput]) {
        guard !catchUp.isEmpty else { return }
        let end = matureEnd(now: now)
        var waiting: [(name: String, from: UInt64)] = []
        for entry in catchUp {
            guard let slot = slotByName.slot(named: entry.name, in: peers), peers[slot].isMember else { continue }
            guard entry.from <= end else {
                waiting.append(entry)
                continue
            }
            peers[slot].digestWalk = DigestWalk(next: entry.from, backward: true)
            _ = offerDigest(to: slot, matureEnd: end, now: now, into: &output)
        }
        catchUp = waiting
    }
}
