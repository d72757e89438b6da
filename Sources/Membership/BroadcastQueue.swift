/// memberlist's `TransmitLimitedQueue` (queue.go): facts waiting to be piggybacked on outgoing packets.
///
/// Every fact is sent at most `retransmitLimit` times. Facts sent fewer times go first; among those the
/// larger one first (it is the hardest to fit), then the newer one. A newer fact about a member replaces the
/// older one under the same key, so a refuted suspicion is never gossiped after the alive that refutes it.
struct BroadcastQueue: Sendable {
    /// What a queued fact is about; a new fact replaces the queued one with the same key.
    enum Key: Hashable, Sendable {
        /// alive, suspect or dead about the named member.
        case member(String)
        /// A message for the layer above (serf's leave intent), replaced only by the same name.
        case user(String)
    }

    struct Item: Sendable {
        var key: Key
        var message: [UInt8]
        var transmits: Int
        var id: Int
    }

    /// Always in priority order, so a packet takes from the front without sorting (memberlist keeps a btree
    /// in the same order): fewest transmits, then longest, then newest.
    private(set) var items: [Item] = []
    /// The id queued under each key, so replacing and `contains` need no scan of the messages.
    private var idByKey: [Key: Int] = [:]
    private var nextID = 0

    var count: Int { items.count }
    var isEmpty: Bool { items.isEmpty }

    private static func precedes(_ x: Item, _ y: Item) -> Bool {
        if x.transmits != y.transmits { return x.transmits < y.transmits }
        if x.message.count != y.message.count { return x.message.count > y.message.count }
        return x.id > y.id
    }

    /// Inserts `item` where the priority order puts it (binary search; ids are unique, so the order is total).
    private mutating func insert(_ item: Item) {
        var low = 0, high = items.count
        while low < high {
            let middle = (low + high) / 2
            if Self.precedes(items[middle], item) { low = middle + 1 } else { high = middle }
        }
        items.insert(item, at: low)
        idByKey[item.key] = item.id
    }

    /// Queues `message` under `key`, replacing any older fact with the same key.
    /// Returns whether an older fact was dropped.
    @discardableResult
    mutating func enqueue(_ message: [UInt8], key: Key) -> Bool {
        var replaced = false
        if let old = idByKey.removeValue(forKey: key), let index = items.firstIndex(where: { $0.id == old }) {
            items.remove(at: index)
            replaced = true
        }
        if items.isEmpty { nextID = 0 }
        nextID += 1
        insert(Item(key: key, message: message, transmits: 0, id: nextID))
        return replaced
    }

    /// Whether a fact with this key is still waiting to be sent again.
    func contains(_ key: Key) -> Bool { idByKey[key] != nil }

    /// Takes the facts that fit into `limit` bytes, each costing its length plus `overhead`, in the queue's
    /// priority order; counts one transmission for each and drops those that reached `transmitLimit`.
    /// `finished` receives the keys of the facts dropped for having been sent often enough.
    mutating func take(overhead: Int, limit: Int, transmitLimit: Int, finished: inout [Key]) -> [[UInt8]] {
        guard !items.isEmpty else { return [] }
        var used = 0
        var taken: [[UInt8]] = []
        var takenIndices: [Int] = []
        for index in items.indices {
            let free = limit - used - overhead
            if free <= 0 { break }
            guard items[index].message.count <= free else { continue }
            used += overhead + items[index].message.count
            taken.append(items[index].message)
            takenIndices.append(index)
        }
        // Sent facts move back in the order (one more transmit), or leave once sent often enough.
        var sent: [Item] = []
        for index in takenIndices.reversed() { sent.append(items.remove(at: index)) }
        for var item in sent.reversed() {
            item.transmits += 1
            if item.transmits >= transmitLimit {
                idByKey.removeValue(forKey: item.key)
                finished.append(item.key)
            } else {
                insert(item)
            }
        }
        return taken
    }

    /// Drops the oldest messages for the layer above until at most `count` of them, holding at most `bytes`
    /// together, remain; returns how many went. Those messages come from other nodes (serf's queries, gossiped
    /// on), so without a bound a flood of distinct ones would grow the queue without end; serf bounds its
    /// query queue the same way (`MaxQueueDepth`), oldest first.
    @discardableResult
    mutating func pruneUserMessages(keepingAtMost count: Int, bytes: Int) -> Int {
        var users = items.filter { if case .user = $0.key { true } else { false } }
        var total = users.reduce(0) { $0 + $1.message.count }
        guard users.count > count || total > bytes else { return 0 }
        users.sort { $0.id < $1.id }
        var dropped = Set<Int>()
        var remaining = users.count
        for item in users where remaining > count || total > bytes {
            dropped.insert(item.id)
            idByKey.removeValue(forKey: item.key)
            remaining -= 1
            total -= item.message.count
        }
        items.removeAll { dropped.contains($0.id) }
        return dropped.count
    }

    mutating func removeAll() {
        items.removeAll()
        idByKey.removeAll()
    }
}
