import ProtocolSupport

// Anti-entropy, beyond the paper: Plumtree only recovers what some neighbour announces, so a message
// broadcast on one side of a partition never crosses once the partition heals. Every interval the node
// offers a window of its cached ids (a digest bounded in bytes) to a random member, not only to a
// neighbour, so that the exchange crosses a healed partition before the overlay does. The member pulls
// what it lacks; the answer is bounded in payload bytes and marked as repair, so it changes no tree link.
// A recovered message is pushed on along the receiver's eager links, still marked as repair, and announced
// to its lazy ones. Only messages older than antiEntropyMinAge are offered: a younger one may still be
// travelling down the tree, and a repaired copy racing the tree's own would make both ends see a duplicate
// and prune a tree link. Successive
// exchanges move the window through the cache, so every cached message is offered within
// (cache size / ids per digest) intervals.
//
// The interval adapts. In a healthy cluster the tree delivers everything and digests find nothing to do,
// yet each one costs a datagram of up to 1 KiB for every cached message's whole TTL. So after a round
// that nothing came of (no Pull came back, this node pulled nothing) the interval doubles, up to
// antiEntropyMaxInterval; as soon as anti-entropy finds work (a Pull received or sent) or membership
// changes (a member joins, fails, or comes back when a partition heals) it drops back to the base interval,
// and the next digest goes out within it. The walk over the cache does not change: every node keeps
// offering every cached message to random members, only less often, so a message missed after a short
// partition or a loss is still found, within the capped interval. A per-peer record of what was already
// offered would cut more, but would lose exactly those messages: the offer reached the peer before the
// loss, or the partition dropped it.
//
// A node that gave up Grafting a message knows what it lacks, and need not wait until a digest about it
// happens to come its way (with the interval backed off and a cache larger than one digest, that can take
// longer than the cache keeps it). It pulls the id itself from a random member every round, at the base
// interval, until the message arrives or could no longer be cached anywhere.

extension PlumtreeCore {
    /// One anti-entropy round: adapts the interval to whether the last round found work, offers a digest,
    /// and schedules the next round.
    mutating func runAntiEntropyRound(now: Instant, into output: inout [PlumtreeOutput]) {
        pullWanted(now: now, into: &output)
        offerCatchUp(now: now, into: &output)
        let foundWork = antiEntropyFoundWork
        antiEntropyFoundWork = false
        // A round without a digest (nothing old enough cached) says nothing about the cluster: the interval
        // stays, so that the first offer of a message that matures after a quiet spell is not delayed.
        if startAntiEntropy(now: now, into: &output), !foundWork {
            let doubled = antiEntropyCurrentInterval * 2
            antiEntropyCurrentInterval = min(doubled, config.antiEntropyIntervalCap)
        }
        // A jitter of up to a tenth of the interval keeps nodes from exchanging in lockstep.
        let spread = UInt64(max(1, antiEntropyCurrentInterval.nanosecondsClamped / 10))
        let jitter = Duration.nanoseconds(Int64(random.next() % spread))
        nextAntiEntropyAt = now + antiEntropyCurrentInterval + jitter
    }

    /// Anti-entropy found work: back to the base interval, and the next digest within it.
    mutating func noteAntiEntropyWork(now: Instant) {
        antiEntropyFoundWork = true
        resetAntiEntropyInterval(now: now)
    }

    /// Membership changed. A member that joined or came back (a healed partition) may lack what this side
    /// broadcast meanwhile, and a member that failed may have held the only copy a neighbour was going to
    /// graft: exchange at the base interval until the rounds find nothing again.
    ///
    /// A local broadcast does not reset the interval. The tree carries it, IHave and Graft repair what a
    /// lost packet dropped, and anti-entropy is the backstop for what they cannot reach, which shows up as
    /// a Pull or a membership change. Resetting on every broadcast would keep every origin at the base
    /// interval under a steady trickle of broadcasts, the very load at which the digests cost most.
    mutating func antiEntropyMembershipChanged(now: Instant) {
        resetAntiEntropyInterval(now: now)
    }

    private mutating func resetAntiEntropyInterval(now: Instant) {
        antiEntropyCurrentInterval = config.antiEntropyInterval
        // No random draw here: membership reports come in bursts, and the round itself adds the jitter.
        if nextAntiEntropyAt > now + config.antiEntropyInterval {
            nextAntiEntropyAt = now + config.antiEntropyInterval
        }
    }

    /// Every Graft for `id` failed: pull it through anti-entropy from now on, starting within the base
    /// interval.
    mutating func wantThroughAntiEntropy(_ id: MessageID, now: Instant) {
        if antiEntropyWanted.count >= config.digestIDs { antiEntropyWanted.removeFirst() }
        antiEntropyWanted.append((id, now + config.messageCacheTTL))
        resetAntiEntropyInterval(now: now)
    }

    /// Pulls the wanted messages that have not arrived from a random member; a pull counts as work found,
    /// so the interval stays at the base while anything is wanted.
    private mutating func pullWanted(now: Instant, into output: inout [PlumtreeOutput]) {
        guard !antiEntropyWanted.isEmpty else { return }
        antiEntropyWanted.removeAll { $0.until <= now || seen.contains($0.id) }
        guard !antiEntropyWanted.isEmpty, let partner = randomMember(excludingNeighbours: false) else { return }
        send(.pull(antiEntropyWanted.map(\.id)), to: partner, into: &output)
        antiEntropyFoundWork = true
    }

    /// Offers a digest to a random member, starting a forward walk for it at the node's own position;
    /// returns whether one was sent.
    mutating func startAntiEntropy(now: Instant, into output: inout [PlumtreeOutput]) -> Bool {
        let end = matureEnd(now: now)
        guard end > cache.startSequence, let partner = randomMember(excludingNeighbours: false) else { return false }
        peers[partner].digestWalk = DigestWalk(next: antiEntropyCursor, backward: false)
        let offered = offerDigest(to: partner, matureEnd: end, now: now, into: &output)
        if let walk = peers[partner].digestWalk { antiEntropyCursor = walk.next }
        return offered
    }

    /// The sequence number after the last cached message old enough to offer. Entries arrive in order, so
    /// those old enough form a prefix of the cache: its end is found by bisection.
    func matureEnd(now: Instant) -> UInt64 {
        let matureUntil = now + (config.messageCacheTTL - config.antiEntropyMinAge)
        var low = cache.startSequence, high = cache.endSequence
        while low < high {
            let middle = low + (high - low) / 2
            if let entry = cache.entry(atSequence: middle), entry.expiresAt <= matureUntil { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// Offers `partner` the next window of its walk through the cache (a new forward walk from the node's
    /// own position if it has none); returns whether the window held anything.
    mutating func offerDigest(to partner: Int, matureEnd end: UInt64, now: Instant, into output: inout [PlumtreeOutput]) -> Bool {
        guard end > cache.startSequence else { return false }
        var walk = peers[partner].digestWalk ?? DigestWalk(next: antiEntropyCursor, backward: false)
        // A message is offered only while younger than the cache TTL in the cluster's terms (`bornAt`): a
        // repaired copy is cached here for a full TTL from its arrival, and offering it that long would
        // reach nodes whose seen-set forgot it, which would deliver it again.
        func offerable(_ sequence: UInt64) -> MessageID? {
            guard let entry = cache.entry(atSequence: sequence), now.duration(since: entry.bornAt) < config.messageCacheTTL else {
                return nil
            }
            return entry.id
        }
        var ids: [MessageID] = []
        if walk.backward {
            var sequence = min(walk.next, end)
            while sequence > cache.startSequence, ids.count < config.digestIDs {
                sequence -= 1
                if let id = offerable(sequence) { ids.append(id) }
            }
            walk.next = sequence
        } else {
            if walk.next < cache.startSequence || walk.next >= end { walk.next = cache.startSequence }
            let mature = Int(end - cache.startSequence)
            ids.reserveCapacity(min(config.digestIDs, mature))
            var sequence = walk.next
            for _ in 0..<mature where ids.count < config.digestIDs {
                if sequence >= end { sequence = cache.startSequence }
                if let id = offerable(sequence) { ids.append(id) }
                sequence += 1
            }
            walk.next = sequence
        }
        peers[partner].digestWalk = walk
        guard !ids.isEmpty else { return false }
        send(.digest(ids), to: partner, into: &output)
        return true
    }

    mutating func onDigest(_ ids: [MessageID], from slot: Int, now: Instant, into output: inout [PlumtreeOutput]) {
        var wanted: [MessageID] = []
        var chosen: Set<MessageID> = []
        for id in ids where !seen.contains(id) && chosen.insert(id).inserted {
            wanted.append(id)
        }
        guard !wanted.isEmpty else { return }
        send(.pull(wanted), to: slot, into: &output)
        noteAntiEntropyWork(now: now)
        reciprocateCatchUp(for: slot)
    }

    mutating func onPull(_ ids: [MessageID], from slot: Int, now: Instant, into output: inout [PlumtreeOutput]) {
        noteAntiEntropyWork(now: now)
        var budget = config.antiEntropyPullBytes
        for id in ids {
            guard let cached = cache.get(id) else { continue }
            // At least one payload per pull, however large, so that progress is always possible.
            if budget < cached.payload.count, budget < config.antiEntropyPullBytes { break }
            budget -= cached.payload.count
            sendRepair(cached, now: now, to: slot, into: &output)
        }
        // The puller lacks what this node holds: the next window of its walk goes to it at once rather than
        // to a random member a round later, so a node far behind is walked through the whole cache in
        // (cache / ids per digest) round trips. It ends by itself: a window the puller lacks nothing of
        // draws no Pull.
        _ = offerDigest(to: slot, matureEnd: matureEnd(now: now), now: now, into: &output)
    }
}
