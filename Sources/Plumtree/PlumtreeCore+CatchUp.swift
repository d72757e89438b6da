import ProtocolSupport

// Catching up a member that joins or comes back, beyond the paper and beyond the random digest walk.
//
// A member that was unreachable (slow, partitioned, isolated, restarted) misses what was broadcast
// meanwhile, and nobody knows what it lacks. The random walk of anti-entropy offers every cached id to some
// random member in time, but not to this one in particular: with a cache of several digests' worth, a given
// id can miss a given member for minutes (the randomized fault runs found messages missing a returning node
// for 115 s). What the member most likely lacks is the newest part of the cache, so a few of the nodes that
// see it come up walk it through the cache from the newest mature id backwards, one digest per anti-entropy
// round, offering first whatever matured since the last round. The member pulls what it lacks. The cost is
// bounded: about `catchUpOffers` nodes of the cluster, each at most `catchUpRounds` digests of at most
// `antiEntropyDigestBytes`, per member that comes up.
struct CatchUpWalk {
    var name: String
    /// Sequence numbers already offered: [oldest, newest); nil before the first round.
    var oldest: UInt64?
    var newest: UInt64 = 0
    var rounds: Int
}

extension PlumtreeCore {
    /// Nodes expected to walk a returning member through their cache, whatever the cluster's size.
    static let catchUpOffers = 4
    /// The most digests each of them offers it.
    static let catchUpRounds = 16

    mutating func scheduleCatchUp(for name: String) {
        // Sampled so that a member coming up does not draw digests from every node of a large cluster.
        guard cache.endSequence > cache.startSequence, !members.isEmpty,
              random.next() % UInt64(members.count) < UInt64(Self.catchUpOffers) else { return }
        catchUp.removeAll { $0.name == name }
        if catchUp.count >= 16 { catchUp.removeFirst() }
        catchUp.append(CatchUpWalk(name: name, rounds: Self.catchUpRounds))
    }

    /// Offers each member being caught up its next window: what matured since the last round, else the
    /// window just older than what it was offered so far.
    mutating func offerCatchUp(now: Instant, into output: inout [PlumtreeOutput]) {
        guard !catchUp.isEmpty else { return }
        let end = matureEnd(now: now)
        var remaining: [CatchUpWalk] = []
        for var walk in catchUp {
            guard let slot = slotByName.slot(named: walk.name, in: peers), peers[slot].isMember else { continue }
            if walk.oldest == nil {
                walk.oldest = end
                walk.newest = end
            }
            let oldest = max(walk.oldest ?? end, cache.startSequence)
            let window: Range<UInt64>
            if end > walk.newest {
                window = max(walk.newest, end - min(end, UInt64(config.digestIDs)))..<end
                walk.newest = end
            } else if oldest > cache.startSequence {
                window = max(cache.startSequence, oldest - min(oldest, UInt64(config.digestIDs)))..<oldest
                walk.oldest = window.lowerBound
            } else {
                // The whole cache was offered: the walk is over.
                continue
            }
            var ids: [MessageID] = []
            for sequence in window {
                if let cached = cache.entry(atSequence: sequence), now.duration(since: cached.bornAt) < config.messageCacheTTL {
                    ids.append(cached.id)
                }
            }
            if !ids.isEmpty { send(.digest(ids), to: slot, into: &output) }
            walk.rounds -= 1
            if walk.rounds > 0 { remaining.append(walk) }
        }
        catchUp = remaining
    }
}
