import ProtocolSupport

/// Decides which duplicates may prune a link while broadcasts overlap in flight.
///
/// The paper prunes the link a duplicate came over at once. That is right for the one message's tree,
/// but the eager links form one graph shared by every origin: when two broadcasts from different origins
/// cross, each meets itself on a different link of the same cycle, both links are pruned, and the cycle
/// falls apart into pieces that only IHaves and Grafts reach. So a duplicate only marks its link; the
/// decision waits `pruneSettleDelay`, and the link is pruned only if no message with a greater id was
/// first heard of from `pruneSettleDelay` before the duplicate until the decision. Nodes that see the
/// same overlapping broadcasts agree on the greatest id, so within a burst only that message's duplicates
/// prune, exactly as if it had been alone.
struct PruneArbiter {
    /// A link a duplicate marked, waiting for its decision.
    struct Pending {
        var peer: Int
        /// The peer's name, so that a reused slot is not pruned in its place.
        var name: String
        var id: MessageID
        var duplicateAt: Instant
        var decideAt: Instant
    }

    /// In order of `decideAt`: marks are appended at `now + delay` with one delay per core and time that
    /// never goes back, and decisions remove a prefix.
    private(set) var pending: [Pending] = []
    /// Messages this node first heard of, a ring of the latest `recentCapacity`.
    private var recent: [(id: MessageID, at: Instant)] = []
    private var next = 0
    static let recentCapacity = 64

    /// Records that this node first heard of `id`: its payload, its announcement, or its own broadcast.
    /// Announcements count because a node cut off from the tree sees the overlapping broadcasts only
    /// through them.
    mutating func heard(_ id: MessageID, at now: Instant) {
        if recent.count < Self.recentCapacity {
            recent.append((id, now))
        } else {
            recent[next] = (id, now)
            next = (next + 1) % Self.recentCapacity
        }
    }

    /// Marks the link to `peer` for a decision at `now + delay`; a link marked already keeps its decision
    /// time, which then weighs the greater of the two ids.
    mutating func mark(peer: Int, name: String, id: MessageID, now: Instant, delay: Duration) {
        if let index = pending.firstIndex(where: { $0.peer == peer && $0.name == name }) {
            pending[index].id = max(pending[index].id, id)
            return
        }
        pending.append(Pending(peer: peer, name: name, id: id, duplicateAt: now, decideAt: now + delay))
    }

    /// When the earliest pending decision is due, if any.
    var nextDecision: Instant? { pending.first?.decideAt }

    /// Whether no message other than `id` was first heard of since `since`: its tree is the only one
    /// changing, so a decision based on it alone cannot race another.
    func alone(_ id: MessageID, since: Instant) -> Bool {
        !recent.contains { $0.at >= since && $0.id != id }
    }

    /// Removes and returns the marks whose decision is due, each with whether its link may be pruned.
    mutating func due(now: Instant, window: Duration) -> [(Pending, prune: Bool)] {
        guard let first = pending.first, first.decideAt <= now else { return [] }
        var decided: [(Pending, prune: Bool)] = []
        pending.removeAll { mark in
            guard mark.decideAt <= now else { return false }
            let from = mark.duplicateAt.advanced(by: .zero - window)
            let outranked = recent.contains { $0.at >= from && $0.id > mark.id }
            decided.append((mark, !outranked))
            return true
        }
        return decided
    }
}
