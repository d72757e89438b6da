import ProtocolSupport

// Eager push, lazy push (batched IHave), and the reaction to every message kind.

extension PlumtreeCore {
    mutating func handle(_ message: PlumtreeMessage, from name: String, now: Instant, into output: inout [PlumtreeOutput]) {
        handle(message, fromSlot: slot(for: name, now: now), now: now, into: &output)
    }

    mutating func handle(_ message: PlumtreeMessage, fromSlot slot: Int, now: Instant, into output: inout [PlumtreeOutput]) {
        switch message {
        case .gossip(let gossip):
            onGossip(gossip, from: slot, now: now, into: &output)
        case .ihave(let announcements):
            adoptSender(slot, as: .lazy, into: &output)
            for announcement in announcements { onAnnouncement(announcement, from: slot, now: now, into: &output) }
        case .graft(let id, _):
            onGraft(id: id, from: slot, now: now, into: &output)
        case .prune:
            adoptSender(slot, as: .lazy, into: &output)
            demote(slot)
            reattachIfIsolated(into: &output)
        case .neighbor(let eagerRequested):
            onNeighbor(eager: eagerRequested, from: slot, into: &output)
        case .neighborAccepted:
            // Our Neighbor reached it after our Disconnect did (datagrams reorder): undo the link it made.
            if peers[slot].role == .none { send(.disconnect, to: slot, into: &output) }
        case .disconnect:
            if peers[slot].role != .none {
                removeNeighbour(slot)
                refill(excluding: slot, now: now, into: &output)
            }
        case .digest(let ids):
            onDigest(ids, from: slot, now: now, into: &output)
        case .pull(let ids):
            onPull(ids, from: slot, now: now, into: &output)
        case .treeQuery(let id):
            onTreeQuery(id: id, from: slot, now: now, into: &output)
        case .treeReport(let id, let eager, let lazy):
            onTreeReport(id: id, eager: eager, lazy: lazy, from: slot, into: &output)
        }
        releaseIfUnused(slot)
    }

    mutating func onGossip(_ gossip: PlumtreeMessage.Gossip, from slot: Int, now: Instant, into output: inout [PlumtreeOutput]) {
        counters.payloadsReceived += 1
        guard seen.insert(gossip.id, now: now) else {
            // A copy of something delivered already: the link it came over is redundant.
            counters.duplicates += 1
            metrics.duplicate.increment()
            if config.pruning, !gossip.isRepair {
                adoptSender(slot, as: .lazy, into: &output)
                pruneOnDuplicate(of: gossip.id, from: slot, now: now, into: &output)
            }
            return
        }
        if !gossip.isRepair { pruneArbiter.heard(gossip.id, at: now) }
        counters.delivered += 1
        metrics.delivered.increment()
        metrics.messageSize.record(gossip.payload.count)
        metrics.messageHops.record(Int(gossip.round))
        if gossip.isRepair { counters.repairDeliveries += 1 }

        let wasMissing = missing.isEmpty ? nil : missing.removeValue(forKey: gossip.id)
        if let wasMissing {
            metrics.pendingGrafts.record(missing.count)
            if let first = wasMissing.firstGraftAt {
                counters.graftSuccesses += 1
                metrics.graftSuccess.increment()
                metrics.graftLatency.record(now.duration(since: first).seconds)
                output.append(.graft(.succeeded(id: gossip.id, from: peers[slot].name, hops: Int(gossip.round), latency: now.duration(since: first))))
            }
        }
        // The sender pushes payloads to us, so it holds us as eager: mirror that (Algorithm 1). This also
        // repairs a link left one-sided by crossing messages (our Graft crossing its Prune): the first new
        // payload over it makes both ends eager, the first duplicate makes both lazy.
        if !gossip.isRepair {
            if peers[slot].role == .none { adoptSender(slot, as: .eager, into: &output) } else { promote(slot, into: &output) }
        }
        storeInCache(CachedMessage(
            id: gossip.id, origin: gossip.origin, hops: gossip.round, from: gossip.isRepair ? -1 : slot,
            payload: gossip.payload, traceContext: gossip.traceContext, expiresAt: now + config.messageCacheTTL,
            bornAt: now.advanced(by: .zero - gossip.age)
        ))
        output.append(.deliver(DeliveredMessage(
            id: gossip.id, origin: gossip.origin, hops: Int(gossip.round), payload: gossip.payload,
            traceContext: gossip.traceContext
        )))
        let next = gossip.round == .max ? gossip.round : gossip.round + 1
        // A repaired message travels on as repair: the tree it crosses is not its own, so its duplicates
        // must not prune anything.
        eagerPush(
            id: gossip.id, round: next, origin: gossip.origin, isRepair: gossip.isRepair, traceContext: gossip.traceContext,
            age: gossip.age, payload: gossip.payload, except: slot, into: &output
        )
        lazyPush(id: gossip.id, round: next, except: slot, now: now, into: &output)
        for announcer in wasMissing?.announcers ?? [] {
            withdrawAnnouncement(of: gossip.id, to: announcer.peer, peerHops: Int(announcer.round) - 1)
        }

        // Tree optimization for announcements that came before the payload.
        if let wasMissing, !gossip.isRepair, let best = wasMissing.announcers.min(by: { $0.round < $1.round }) {
            optimize(id: gossip.id, receivedRound: gossip.round, announcer: best.peer, announcedRound: best.round, parent: slot, now: now, into: &output)
        }
    }

    /// A duplicate came over the eager link to `slot`: the link is redundant for this message's tree.
    /// With `pruneSettleDelay` zero it is pruned at once (the paper); otherwise the ``PruneArbiter`` decides
    /// once overlapping broadcasts have had time to show themselves.
    mutating func pruneOnDuplicate(of id: MessageID, from slot: Int, now: Instant, into output: inout [PlumtreeOutput]) {
        guard config.pruneSettleDelay > .zero else {
            prune(slot, into: &output)
            return
        }
        guard peers[slot].role == .eager else {
            // The link is lazy on this side already (the sender holds a one-sided eager link, or our
            // Prune is still on its way): nothing here changes, the sender only learns it.
            send(.prune, to: slot, into: &output)
            return
        }
        // The core wakes for the decision through `nextDeadline` (the arbiter's earliest pending mark).
        pruneArbiter.mark(peer: slot, name: peers[slot].name, id: id, now: now, delay: config.pruneSettleDelay)
    }

    /// Decides the duplicates whose settling time is over.
    mutating func settlePrunes(now: Instant, into output: inout [PlumtreeOutput]) {
        for (mark, allowed) in pruneArbiter.due(now: now, window: config.pruneSettleDelay) {
            guard allowed, peers[mark.peer].name == mark.name, peers[mark.peer].role == .eager else { continue }
            prune(mark.peer, into: &output)
        }
    }

    /// Moves an eager neighbour to lazy and tells it so.
    mutating func prune(_ slot: Int, into output: inout [PlumtreeOutput]) {
        demote(slot)
        send(.prune, to: slot, into: &output)
        reattachIfIsolated(into: &output)
    }

    mutating func onAnnouncement(_ announcement: PlumtreeMessage.Announcement, from slot: Int, now: Instant, into output: inout [PlumtreeOutput]) {
        if seen.contains(announcement.id) {
            withdrawAnnouncement(of: announcement.id, to: slot, peerHops: Int(announcement.round) - 1)
            // Tree optimization for announcements that come after the payload (the usual order, since
            // announcements wait for a batch).
            if let cached = cache.route(of: announcement.id), cached.from >= 0 {
                optimize(id: announcement.id, receivedRound: cached.hops, announcer: slot, announcedRound: announcement.round, parent: cached.from, now: now, into: &output)
            }
            return
        }
        if var entry = missing[announcement.id] {
            if entry.announcers.count < MissingMessage.maxAnnouncers, !entry.announcers.contains(where: { $0.peer == slot }) {
                entry.announcers.append((slot, announcement.round))
                missing[announcement.id] = entry
            }
            return
        }
        let deadline = now + config.graftTimeout
        missing[announcement.id] = MissingMessage(announcers: [(slot, announcement.round)], deadline: deadline)
        pruneArbiter.heard(announcement.id, at: now)
        graftTimers.push(deadline, announcement.id)
        metrics.pendingGrafts.record(missing.count)
    }

    /// If `announcer` offers a path at least `optimization_threshold` hops shorter than the one the payload
    /// took through `parent`, on `optimization_confirmations` messages, make the announcer our
    /// eager link and prune the parent.
    mutating func optimize(
        id: MessageID, receivedRound: UInt16, announcer: Int, announcedRound: UInt16, parent: Int, now: Instant,
        into output: inout [PlumtreeOutput]
    ) {
        // Only a lazy announcer replaces a parent that is still eager, and only when no other message was
        // heard of lately (with settled prunes): under overlap a long round is mostly a repair path through
        // a part the tree just lost, and swapping on it adds churn to the split.
        guard config.treeOptimization, config.pruning, announcer != parent,
              peers[announcer].role == .lazy, peers[parent].role == .eager,
              config.pruneSettleDelay == .zero
                || pruneArbiter.alone(id, since: now.advanced(by: .zero - config.pruneSettleDelay))
        else { return }
        guard confirmSwap(id: id, gain: Int(receivedRound) - Int(announcedRound), announcer: announcer, parent: parent, now: now)
        else { return }
        // One swap per cooldown: swaps decided on different broadcasts in flight at once can each be right
        // for their own tree and still cut the shared tree together, so the node makes them one at a time.
        guard now >= nextOptimizationAt else { return }
        nextOptimizationAt = now + config.optimizationCooldown
        optimizationCandidates.removeAll()
        send(.graft(id: nil, round: announcedRound), to: announcer, into: &output)
        output.append(.graft(.sent(id: nil, to: peers[announcer].name, attempt: 1)))
        counters.graftsSent += 1
        metrics.graftSent.increment()
        promote(announcer, into: &output)
        demote(parent)
        send(.prune, to: parent, into: &output)
        cache.updateRoute(id, hops: announcedRound, from: announcer)
    }

    /// Counts one message on which `announcer` offered a path `gain` hops shorter than the payload's
    /// through `parent`. Returns true once the same announcer has beaten the same parent by the threshold
    /// on `optimization_confirmations` messages without a message in between on which its path was not
    /// shorter at all. With broadcasts from random origins a path that is short for one origin is long for
    /// the next: a single message (the paper's rule, `optimization_confirmations` 1) swaps parents back and
    /// forth, only a repeated gain is a property of the tree.
    mutating func confirmSwap(id: MessageID, gain: Int, announcer: Int, parent: Int, now: Instant) -> Bool {
        let beaten = gain >= config.optimizationThreshold
        let announcerName = peers[announcer].name, parentName = peers[parent].name
        optimizationCandidates.removeAll { now.duration(since: $0.lastAt) > config.messageCacheTTL }
        if let index = optimizationCandidates.firstIndex(where: {
            $0.concerns(announcer: announcer, announcerName, parent: parent, parentName)
        }) {
            var candidate = optimizationCandidates[index]
            guard candidate.lastID != id else { return candidate.confirmations >= config.optimizationConfirmations }
            guard gain > 0 else {
                // The parent's path was as short or shorter this time: the gain is not structural.
                optimizationCandidates.remove(at: index)
                return false
            }
            // A gain below the threshold neither confirms nor refutes: measured, resetting on it too lost
            // most of the optimization's shortening.
            guard beaten else { return false }
            candidate.confirmations += 1
            candidate.lastID = id
            candidate.lastAt = now
            optimizationCandidates[index] = candidate
            return candidate.confirmations >= config.optimizationConfirmations
        }
        guard beaten else { return false }
        // A few pairs are followed at once, so that after a change of the overlay, when many pairs show a
        // gain, each can still gather its confirmations; the one confirmed longest ago makes room.
        if optimizationCandidates.count >= OptimizationCandidate.maxTracked,
           let oldest = optimizationCandidates.indices.min(by: { optimizationCandidates[$0].lastAt < optimizationCandidates[$1].lastAt }) {
            optimizationCandidates.remove(at: oldest)
        }
        let candidate = OptimizationCandidate(
            announcer: announcer, announcerName: announcerName, parent: parent, parentName: parentName,
            confirmations: 1, lastID: id, lastAt: now
        )
        optimizationCandidates.append(candidate)
        return candidate.confirmations >= config.optimizationConfirmations
    }

    /// Per-peer token bucket: a peer cannot make this node answer (payloads for Grafts, tree reports)
    /// faster than the configured rate. False, and counted, when the peer is over it.
    mutating func admitsRequest(from slot: Int, now: Instant) -> Bool {
        var record = peers[slot]
        let refill = now.duration(since: record.tokensAt).seconds * config.graftRatePerSecond
        record.graftTokens = min(config.graftBurst, record.graftTokens + refill)
        record.tokensAt = now
        let admitted = record.graftTokens >= 1
        if admitted { record.graftTokens -= 1 } else { countRefusal("graft_rate_limited") }
        peers[slot] = record
        return admitted
    }

    mutating func onGraft(id: MessageID?, from slot: Int, now: Instant, into output: inout [PlumtreeOutput]) {
        guard admitsRequest(from: slot, now: now) else { return }
        promote(slot, into: &output)
        let cached = id.flatMap { cache.get($0) }
        output.append(.graft(.received(id: id, from: peers[slot].name, served: cached != nil)))
        guard let cached else { return }
        // The answer is marked repair. The Graft itself mended the tree (both ends are eager now); the
        // payload is old news everywhere but in the part that lost it, and as it is pushed on there its
        // duplicates would prune on an old message's account while the messages in flight now prune on
        // theirs: two trees' prunes on one graph, which cut it again (docs/PROTOCOL.md, "Graft answers are
        // repair").
        sendRepair(cached, now: now, to: slot, into: &output)
    }

    mutating func onNeighbor(eager eagerRequested: Bool, from slot: Int, into output: inout [PlumtreeOutput]) {
        let role: PeerRole = (eagerRequested || !config.pruning) ? .eager : .lazy
        switch peers[slot].role {
        case .none:
            // Only a member may become a neighbour, as in `adoptSender`. A peer membership does not list
            // (not yet, or no longer: one that has just left still sends) would stay a neighbour on this
            // side alone for good if it never becomes one, since only membership ends a link to a
            // non-neighbour's silence; a fault run found exactly that link. The sender drops us on the
            // Disconnect and refills from its members; once membership here lists it, either side may pick
            // the other again.
            guard peers[slot].isMember, eager.count + lazy.count < config.neighbourCap else {
                send(.disconnect, to: slot, into: &output)
                return
            }
            addNeighbour(slot, role: role, announcingAt: nil, into: &output)
        case .lazy where role == .eager:
            promote(slot, into: &output)
        default:
            // Never demote here: when both ends pick each other at once, one as eager and one as lazy, the
            // two Neighbor messages cross; "eager wins" on both ends keeps the link symmetric.
            break
        }
        // The sender may have dropped us since (its Disconnect can overtake its Neighbor, and then this
        // link would exist on our side alone, carrying nothing to us): confirm, so that it can object.
        send(.neighborAccepted, to: slot, into: &output)
    }

    // MARK: - Pushing

    /// Sends the payload to every eager neighbour but `except`, encoding it once for all of them.
    mutating func eagerPush(
        id: MessageID, round: UInt16, origin: String, isRepair: Bool = false, traceContext: [UInt8]?, age: Duration = .zero,
        payload: [UInt8], except: Int, into output: inout [PlumtreeOutput]
    ) {
        guard eager.count > (eager.contains(except) ? 1 : 0) else { return }
        var writer = ByteWriter(prefix: header, capacity: header.count + 36 + origin.utf8.count + payload.count + (traceContext?.count ?? 0))
        PlumtreeMessage.encodeGossip(
            id: id, round: round, origin: origin, isRepair: isRepair, traceContext: traceContext, age: age, payload: payload,
            into: &writer
        )
        let bytes = writer.bytes
        let reliable = bytes.count > config.packetBudget
        var sent = 0
        for slot in eager where slot != except {
            emit(bytes, to: slot, reliable: reliable, into: &output)
            sent += 1
        }
        metrics.gossipSent.increment(by: sent)
    }

    /// Queues an announcement for every lazy neighbour but `except`.
    mutating func lazyPush(id: MessageID, round: UInt16, except: Int, now: Instant, into output: inout [PlumtreeOutput]) {
        guard !lazy.isEmpty else { return }
        let batch = config.ihaveIDs
        var queued = 0
        for slot in lazy where slot != except {
            peers[slot].queue.append(PlumtreeMessage.Announcement(id: id, round: round))
            queued += 1
            if peers[slot].queue.count >= batch {
                ihaveQueued += queued
                queued = 0
                flushAnnouncements(of: slot, into: &output)
            }
        }
        ihaveQueued += queued
        if ihaveQueued > 0, ihaveFlushAt == nil { ihaveFlushAt = now + config.ihaveInterval }
        if ihaveQueued == 0 { ihaveFlushAt = nil }
        metrics.ihaveQueueSize.record(ihaveQueued)
    }

    /// Sends a peer's queued announcements, at most 64 per IHave.
    mutating func flushAnnouncements(of slot: Int, into output: inout [PlumtreeOutput]) {
        let queue = peers[slot].queue
        guard !queue.isEmpty else { return }
        var start = 0
        while start < queue.count {
            let end = min(queue.count, start + PlumtreeMessage.maxIDsPerIHave)
            let bytes = PlumtreeMessage.ihaveEnvelope(header: header, queue[start..<end])
            emit(bytes, to: slot, reliable: bytes.count > config.packetBudget, into: &output)
            metrics.ihaveSent.increment()
            metrics.ihaveBatchSize.record(end - start)
            start = end
        }
        ihaveQueued -= queue.count
        peers[slot].queue.removeAll(keepingCapacity: true)
        if ihaveQueued == 0 { ihaveFlushAt = nil }
    }

    mutating func flushAllAnnouncements(into output: inout [PlumtreeOutput]) {
        for slot in lazy + eager where !peers[slot].queue.isEmpty {
            flushAnnouncements(of: slot, into: &output)
        }
        ihaveFlushAt = nil
        metrics.ihaveQueueSize.record(ihaveQueued)
    }

    /// Sends a cached payload to one peer as repair (a Graft's or a Pull's answer), one hop further than it
    /// reached us, with its age in the caches.
    mutating func sendRepair(_ cached: CachedMessage, now: Instant, to slot: Int, into output: inout [PlumtreeOutput]) {
        var writer = ByteWriter(prefix: header, capacity: header.count + 36 + cached.origin.utf8.count + cached.payload.count)
        PlumtreeMessage.encodeGossip(
            id: cached.id, round: cached.hops == .max ? .max : cached.hops + 1, origin: cached.origin, isRepair: true,
            traceContext: cached.traceContext, age: now.duration(since: cached.bornAt), payload: cached.payload, into: &writer
        )
        emit(writer.bytes, to: slot, reliable: writer.bytes.count > config.packetBudget, into: &output)
        metrics.gossipSent.increment()
    }

    /// Sends a control message to one peer.
    mutating func send(_ message: PlumtreeMessage, to slot: Int, into output: inout [PlumtreeOutput]) {
        var writer = ByteWriter(prefix: header, capacity: header.count + 24)
        message.encode(into: &writer)
        emit(writer.bytes, to: slot, reliable: writer.bytes.count > config.packetBudget, into: &output)
        if case .prune = message { metrics.pruneSent.increment() }
    }

    /// Every envelope leaves through here: in the version negotiated with the peer. The bytes are shared
    /// between the peers of one fan-out, so only a peer speaking another version costs a copy.
    func emit(_ bytes: [UInt8], to slot: Int, reliable: Bool, into output: inout [PlumtreeOutput]) {
        var bytes = bytes
        if bytes.count > 1, bytes[1] != peers[slot].version { bytes[1] = peers[slot].version }
        output.append(.send(to: peers[slot].name, bytes: bytes, preferReliable: reliable))
    }
}
