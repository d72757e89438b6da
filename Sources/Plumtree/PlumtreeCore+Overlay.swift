import ProtocolSupport

// The overlay: which members are neighbours, and whether eager or lazy.
//
// Each node keeps eager_fanout + lazy_fanout neighbours chosen uniformly at random from the members that
// advertise Plumtree. Membership reports members one by one and in an order the node does not choose, so
// the choice is a reservoir sample: the k-th member replaces a random neighbour with probability
// target/k. A Neighbor message makes the relation symmetric: the other side mirrors it, up to a hard cap of
// the target plus eager_fanout, beyond which it answers Disconnect, and confirms with NeighborAccepted, to
// which a sender that no longer holds the receiver objects with a Disconnect. Neighbor messages go out once
// a burst of membership reports is over (see announceNeighbours). A node receiving protocol traffic from a
// member that is not its neighbour adds it. A neighbour that fails, leaves or disconnects is replaced by a
// random member that is not a neighbour yet, as an eager one (the paper's NeighborUp), so the tree regrows
// over it and duplicates prune the excess. Random regular-ish graphs of degree >= 9 stay connected with
// high probability, and the refill keeps the degree up through churn: HyParView's active view without its
// passive view, since membership already knows every member.

extension PlumtreeCore {
    /// Membership reports `name` alive, speaking this node's highest protocol version (or not Plumtree at
    /// all when `advertisesPlumtree` is false).
    public mutating func memberUp(_ name: String, advertisesPlumtree: Bool, now: Instant, into output: inout [PlumtreeOutput]) {
        memberUp(name, version: advertisesPlumtree ? config.protocolVersions.upperBound : nil, now: now, into: &output)
    }

    /// Membership reports `name` alive. Only members that speak a Plumtree version in common with this node
    /// (`version`, negotiated from their `plumtree` tag) become candidates; anything else (a plain serf
    /// agent, a node of versions this one does not speak) is never a neighbour. A member whose tag
    /// disappeared, or no longer shares a version, is treated as down.
    public mutating func memberUp(_ name: String, version: UInt8?, now: Instant, into output: inout [PlumtreeOutput]) {
        guard name != localID, !name.isEmpty, name.utf8.count <= PlumtreeMessage.maxNameBytes else { return }
        guard let version, config.protocolVersions.contains(version) else {
            if slotByName.slot(named: name, in: peers) != nil { memberDown(name, now: now, into: &output) }
            return
        }
        let slot = slot(for: name, now: now)
        peers[slot].version = version
        guard !peers[slot].isMember else { return }
        peers[slot].isMember = true
        members.append(slot)
        antiEntropyMembershipChanged(now: now)
        scheduleCatchUp(for: name)
        guard peers[slot].role == .none else { return }
        let size = eager.count + lazy.count
        if size < config.targetNeighbours {
            let role: PeerRole = (!config.pruning || eager.count < config.eagerFanout) ? .eager : .lazy
            addNeighbour(slot, role: role, announcingAt: now, into: &output)
        } else if Int(random.next() % UInt64(members.count)) < config.targetNeighbours {
            // Reservoir step: take the newcomer's place for a random current neighbour.
            let all = eager + lazy
            let victim = all[Int(random.next() % UInt64(all.count))]
            let role = peers[victim].role
            if removeNeighbour(victim) { send(.disconnect, to: victim, into: &output) }
            addNeighbour(slot, role: role, announcingAt: now, into: &output)
            releaseIfUnused(victim)
        }
    }

    /// Membership reports `name` failed or gone. It leaves the overlay and the lists of announcers, and a
    /// random member takes its place.
    public mutating func memberDown(_ name: String, now: Instant, into output: inout [PlumtreeOutput]) {
        guard let slot = slotByName.slot(named: name, in: peers) else { return }
        if peers[slot].isMember {
            peers[slot].isMember = false
            if let position = members.firstIndex(of: slot) { members.remove(at: position) }
            antiEntropyMembershipChanged(now: now)
        }
        // "The record of IHAVE messages sent from failed members is deleted from the missing history."
        for id in missing.keys.sorted() {
            missing[id]?.announcers.removeAll { $0.peer == slot }
        }
        if peers[slot].role != .none {
            removeNeighbour(slot)
            refill(now: now, into: &output)
        }
        releaseIfUnused(slot)
    }

    // MARK: - Internals

    /// The slot for `name`, created when new.
    mutating func slot(for name: String, now: Instant) -> Int {
        if let slot = slotByName.slot(named: name, in: peers) { return slot }
        var record = PeerRecord(name: name, graftBurst: config.graftBurst, now: now)
        record.version = config.protocolVersions.upperBound
        let slot: Int
        if let free = freeSlots.popLast() {
            peers[free] = record
            slot = free
        } else {
            peers.append(record)
            slot = peers.count - 1
        }
        slotByName.insert(name, slot: slot)
        return slot
    }

    /// Forgets a peer that is neither a member nor a neighbour, so that names seen once do not pile up.
    mutating func releaseIfUnused(_ slot: Int) {
        guard !peers[slot].isMember, peers[slot].role == .none else { return }
        for (id, entry) in missing where entry.announcers.contains(where: { $0.peer == slot }) {
            missing[id]?.announcers.removeAll { $0.peer == slot }
        }
        slotByName.remove(peers[slot].name, in: peers)
        peers[slot] = PeerRecord(name: "", graftBurst: 0, now: .zero)
        freeSlots.append(slot)
    }

    /// Adds a neighbour. With `announcingAt`, the node chose it and tells it with a Neighbor message at that
    /// time (see ``announceNeighbours(into:)``); without, the peer chose us and knows already.
    mutating func addNeighbour(_ slot: Int, role: PeerRole, announcingAt announceAt: Instant?, into output: inout [PlumtreeOutput]) {
        guard peers[slot].role == .none, role != .none else { return }
        peers[slot].role = role
        if role == .eager { eager.append(slot) } else { lazy.append(slot) }
        metrics.peerAdded.increment()
        updateOverlayGauges()
        if let announceAt {
            peers[slot].announcePending = true
            pendingAnnouncements.append(slot)
            if announceNeighboursAt == nil { announceNeighboursAt = announceAt }
        }
    }

    /// Tells the neighbours chosen since the last round, as they stand now.
    ///
    /// Membership reports members in bursts (a push/pull or a start hands over every member at once), and
    /// the reservoir then passes through neighbours it replaces within the same burst. Telling each at once
    /// would send a Neighbor and a Disconnect to the same peer in one go: on a fresh cluster every node
    /// learns members in the same order, so the first few members would each receive a Neighbor and a
    /// Disconnect from every node, and a datagram network may deliver the pair in either order, leaving a
    /// link that only the receiver holds. The announcement waits for the burst to end (the driver's next
    /// timer call) and goes only to the neighbours that are still chosen.
    mutating func announceNeighbours(into output: inout [PlumtreeOutput]) {
        announceNeighboursAt = nil
        let slots = pendingAnnouncements
        pendingAnnouncements.removeAll(keepingCapacity: true)
        for slot in slots where peers[slot].announcePending {
            peers[slot].announcePending = false
            send(.neighbor(eager: peers[slot].role == .eager), to: slot, into: &output)
        }
    }

    /// Removes a neighbour; returns whether the peer knew it was one (it was not still waiting for its
    /// Neighbor message), and so needs a Disconnect if it is dropped while alive.
    @discardableResult
    mutating func removeNeighbour(_ slot: Int) -> Bool {
        switch peers[slot].role {
        case .none: return false
        case .eager: if let position = eager.firstIndex(of: slot) { eager.remove(at: position) }
        case .lazy: if let position = lazy.firstIndex(of: slot) { lazy.remove(at: position) }
        }
        let known = !peers[slot].announcePending
        peers[slot].announcePending = false
        peers[slot].role = .none
        if !peers[slot].queue.isEmpty {
            ihaveQueued -= peers[slot].queue.count
            peers[slot].queue.removeAll()
            metrics.ihaveQueueSize.record(ihaveQueued)
            if ihaveQueued == 0 { ihaveFlushAt = nil }
        }
        metrics.peerRemoved.increment()
        updateOverlayGauges()
        return known
    }

    /// Lazy -> eager (or a non-neighbour straight to eager, if there is room; else it is told to drop us).
    mutating func promote(_ slot: Int, into output: inout [PlumtreeOutput]) {
        switch peers[slot].role {
        case .eager: return
        case .none:
            adoptSender(slot, as: .eager, into: &output)
        case .lazy:
            if let position = lazy.firstIndex(of: slot) { lazy.remove(at: position) }
            peers[slot].role = .eager
            eager.append(slot)
            metrics.promotions.increment()
            updateOverlayGauges()
        }
    }

    /// Eager -> lazy.
    mutating func demote(_ slot: Int) {
        guard peers[slot].role == .eager else { return }
        if let position = eager.firstIndex(of: slot) { eager.remove(at: position) }
        peers[slot].role = .lazy
        lazy.append(slot)
        metrics.demotions.increment()
        updateOverlayGauges()
    }

    /// Prunes decided on different broadcasts in flight at once can each be right for their own message and
    /// together cut a node off the tree (two neighbours each see a duplicate from it, for different
    /// messages). A node left without any eager link re-attaches at once by grafting a random lazy
    /// neighbour, instead of waiting for the next missing message to time out.
    mutating func reattachIfIsolated(into output: inout [PlumtreeOutput]) {
        guard config.pruning, eager.isEmpty, !lazy.isEmpty else { return }
        let slot = lazy[Int(random.next() % UInt64(lazy.count))]
        send(.graft(id: nil, round: 0), to: slot, into: &output)
        output.append(.graft(.sent(id: nil, to: peers[slot].name, attempt: 1)))
        counters.graftsSent += 1
        metrics.graftSent.increment()
        promote(slot, into: &output)
    }

    /// The symmetric rule: traffic from a peer that is not a neighbour makes it one (as `role`). When that
    /// is impossible (the overlay is full, or membership does not list the peer) the peer is told to drop
    /// us, so that no one-sided link survives: a one-sided eager link would carry payloads one way only.
    mutating func adoptSender(_ slot: Int, as role: PeerRole, into output: inout [PlumtreeOutput]) {
        guard peers[slot].role == .none else { return }
        guard peers[slot].isMember, eager.count + lazy.count < config.neighbourCap else {
            send(.disconnect, to: slot, into: &output)
            return
        }
        addNeighbour(slot, role: config.pruning ? role : .eager, announcingAt: nil, into: &output)
    }

    /// Tops the overlay up to its target with random members that are not neighbours yet, as eager peers.
    mutating func refill(excluding excluded: Int = -1, now: Instant, into output: inout [PlumtreeOutput]) {
        while eager.count + lazy.count < config.targetNeighbours {
            guard let slot = randomMember(excludingNeighbours: true, excluding: excluded) else { return }
            addNeighbour(slot, role: .eager, announcingAt: now, into: &output)
        }
    }

    /// A uniformly random member other than `excluded` (and not a neighbour yet when `excludingNeighbours`).
    mutating func randomMember(excludingNeighbours: Bool, excluding excluded: Int = -1) -> Int? {
        guard !members.isEmpty else { return nil }
        // A few blind draws find one quickly when most members qualify; the scan settles the rest.
        for _ in 0..<8 {
            let slot = members[Int(random.next() % UInt64(members.count))]
            if slot != excluded, !excludingNeighbours || peers[slot].role == .none { return slot }
        }
        let candidates = members.filter { $0 != excluded && (!excludingNeighbours || peers[$0].role == .none) }
        guard !candidates.isEmpty else { return nil }
        return candidates[Int(random.next() % UInt64(candidates.count))]
    }

    mutating func updateOverlayGauges() {
        metrics.eagerPeers.record(eager.count)
        metrics.lazyPeers.record(lazy.count)
        metrics.totalPeers.record(eager.count + lazy.count)
    }
}
