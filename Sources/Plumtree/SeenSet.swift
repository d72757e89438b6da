import ProtocolSupport

/// Ids of messages already delivered (or originated), bounded by a TTL and a capacity.
///
/// It outlives the message cache on purpose: a copy that arrives after its payload left the cache must
/// still be recognised as a duplicate, or it would be delivered twice.
struct SeenSet {
    let capacity: Int
    let ttl: Duration
    private var members: MessageIDTable<Void>
    private var order: [(id: MessageID, expiresAt: Instant)] = []
    private var head = 0

    /// - Parameter hashKey: the secret of the id table (see ``MessageIDTable``).
    init(capacity: Int, ttl: Duration, hashKey: (UInt64, UInt64)) {
        self.capacity = max(1, capacity)
        self.ttl = ttl
        // Grown on demand rather than reserved: a node that sees few messages stays small.
        members = MessageIDTable(placeholder: (), hashKey: hashKey)
    }

    var count: Int { members.count }

    /// When the oldest id expires. Kept up to date in place, so that reading it (the driver does after
    /// every input) touches no buffer.
    private(set) var nextExpiry: Instant?

    @inline(__always)
    func contains(_ id: MessageID) -> Bool { members.contains(id) }

    /// Records `id`; false when it was already there.
    @discardableResult
    mutating func insert(_ id: MessageID, now: Instant) -> Bool {
        guard members.insert(id, ()) else { return false }
        while members.count > capacity { removeOldest() }
        order.append((id, now + ttl))
        if nextExpiry == nil { nextExpiry = order[head].expiresAt }
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
        nextExpiry = head < order.count ? order[head].expiresAt : nil
    }
}
