import ProtocolSupport

// Catching up a member that joins or comes back, beyond the paper and beyond the random digest walk.
//
// A member that was unreachable (slow, partitioned, restarted) misses what was broadcast meanwhile, and
// nobody knows what it lacks. The random walk of anti-entropy offers every cached id to some random member
// in time, but not to this one in particular: with a cache of several digests' worth, a given id can miss a
// given member for minutes (the randomized fault runs found one missing for 115 s). What the member most
// likely lacks is the newest part of the cache, so a few of the nodes that see it come up offer it the
// newest mature window directly, for the next few anti-entropy rounds (messages still maturing when it came
// back are offered by the later rounds). A member that pulls is then walked on through the cache by the Pull
// answer's own follow-up digest. The cost is bounded: about `catchUpOffers` nodes of the cluster, each at
// most `catchUpRounds` digests of at most `antiEntropyDigestBytes`, per member that comes up.
extension PlumtreeCore {
    /// Nodes expected to offer a returning member the newest window, whatever the cluster's size.
    static let catchUpOffers = 4
    /// Anti-entropy rounds during which each of them offers it.
    static let catchUpRounds = 3

    mutating func scheduleCatchUp(for name: String) {
        // Sampled so that a member coming up does not draw a digest from every node of a large cluster.
        guard cache.endSequence > cache.startSequence, !members.isEmpty,
              random.next() % UInt64(members.count) < UInt64(Self.catchUpOffers) else { return }
        catchUp.removeAll { $0.name == name }
        if catchUp.count >= 16 { catchUp.removeFirst() }
        catchUp.append((name, Self.catchUpRounds))
    }

    /// Offers each member being caught up the newest mature window of the cache.
    mutating func offerCatchUp(now: Instant, into output: inout [PlumtreeOutput]) {
        guard !catchUp.isEmpty else { return }
        let end = matureEnd(now: now)
        var remaining: [(name: String, rounds: Int)] = []
        for entry in catchUp {
            guard let slot = slotByName.slot(named: entry.name, in: peers), peers[slot].isMember else { continue }
            var ids: [MessageID] = []
            var sequence = end
            while sequence > cache.startSequence, ids.count < config.digestIDs {
                sequence -= 1
                if let cached = cache.entry(atSequence: sequence), now.duration(since: cached.bornAt) < config.messageCacheTTL {
                    ids.append(cached.id)
                }
            }
            if !ids.isEmpty { send(.digest(ids), to: slot, into: &output) }
            if entry.rounds > 1 { remaining.append((entry.name, entry.rounds - 1)) }
        }
        catchUp = remaining
    }
}
