import ProtocolSupport

/// Ids of messages already delivered (or originated), bounded by a TTL and a capacity.
///
/// It outlives the message cache on purpose: a copy that arrives after its payload left the cache must
/// still be recognised as a duplicate, or it would be delivered twice.
struct SeenSet {
    let capacity: Int
    let ttl: Duration
    private var members: Set<MessageID> = []
    private var order: [(id: MessageID, expiresAt: Instant)] = []
    private var head = 0

    init(capacity: Int, ttl: Duration) {
        self.capacity = max(1, capacity)
        self.ttl = ttl
        members.reserveCapacity(min(self.capacity, 4_096))
    }

    var count: Int { members.count }

    var nextExpiry: Instant? { head < order.count ? order[head].expiresAt : nil }

    @inline(__always)
    func contains(_ id: MessageID) -> Bool { members.contains(id) }

    /// Records `id`; false when it was already there.
    @discardableResult
    mutating func insert(_ id: MessageID, now: Instant) -> Bool {
        guard members.insert(id).inserted else { return false }
        while members.count > capacity { removeOldest() }
        order.append((id, now + ttl))
        return true
    }

    mutating func expire(now: Instant) {
        while head < order.count, order[head].expiresAt <= now { removeOldest() }
    }

    private mutating func removeOldest() {
        members.remove(order[head].id)
        head += 1
        if head >= 64, head * 2 >= order.count {
            order.removeFirst(head)
            head = 0
        }
    }
}
