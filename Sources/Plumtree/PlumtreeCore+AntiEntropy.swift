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

extension PlumtreeCore {
    mutating func startAntiEntropy(now: Instant, into output: inout [PlumtreeOutput]) {
        // Entries arrive in order, so those old enough form a prefix of the cache: find its end by bisection.
        let matureUntil = now + (config.messageCacheTTL - config.antiEntropyMinAge)
        var low = cache.startSequence, high = cache.endSequence
        while low < high {
            let middle = low + (high - low) / 2
            if let entry = cache.entry(atSequence: middle), entry.expiresAt <= matureUntil { low = middle + 1 } else { high = middle }
        }
        let end = low
        guard end > cache.startSequence, let partner = randomMember(excludingNeighbours: false) else { return }
        if antiEntropyCursor < cache.startSequence || antiEntropyCursor >= end {
            antiEntropyCursor = cache.startSequence
        }
        let limit = min(config.digestIDs, Int(end - cache.startSequence))
        var ids: [MessageID] = []
        ids.reserveCapacity(limit)
        var sequence = antiEntropyCursor
        while ids.count < limit {
            if sequence >= end { sequence = cache.startSequence }
            if let entry = cache.entry(atSequence: sequence) { ids.append(entry.id) }
            sequence += 1
        }
        antiEntropyCursor = sequence
        send(.digest(ids), to: partner, into: &output)
    }

    mutating func onDigest(_ ids: [MessageID], from slot: Int, into output: inout [PlumtreeOutput]) {
        var wanted: [MessageID] = []
        var chosen: Set<MessageID> = []
        for id in ids where !seen.contains(id) && chosen.insert(id).inserted {
            wanted.append(id)
        }
        guard !wanted.isEmpty else { return }
        send(.pull(wanted), to: slot, into: &output)
    }

    mutating func onPull(_ ids: [MessageID], from slot: Int, into output: inout [PlumtreeOutput]) {
        var budget = config.antiEntropyPullBytes
        for id in ids {
            guard let cached = cache.get(id) else { continue }
            // At least one payload per pull, however large, so that progress is always possible.
            if budget < cached.payload.count, budget < config.antiEntropyPullBytes { break }
            budget -= cached.payload.count
            sendPayload(cached, isRepair: true, to: slot, into: &output)
        }
    }
}
