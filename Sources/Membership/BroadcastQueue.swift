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

    private(set) var items: [Item] = []
    private var nextID = 0

    var count: Int { items.count }
    var isEmpty: Bool { items.isEmpty }

    /// Queues `message` under `key`, replacing any older fact with the same key.
    /// Returns the replaced key's message when one was dropped (for "finished" notifications).
    @discardableResult
    mutating func enqueue(_ message: [UInt8], key: Key) -> Bool {
        let replaced = items.firstIndex { $0.key == key }.map { items.remove(at: $0) } != nil
        if items.isEmpty { nextID = 0 }
        nextID += 1
        items.append(Item(key: key, message: message, transmits: 0, id: nextID))
        return replaced
    }

    /// Whether a fact with this key is still waiting to be sent again.
    func contains(_ key: Key) -> Bool { items.contains { $0.key == key } }

    /// Takes the facts that fit into `limit` bytes, each costing its length plus `overhead`, in the queue's
    /// priority order; counts one transmission for each and drops those that reached `transmitLimit`.
    /// `finished` receives the keys of the facts dropped for having been sent often enough.
    mutating func take(overhead: Int, limit: Int, transmitLimit: Int, finished: inout [Key]) -> [[UInt8]] {
        guard !items.isEmpty else { return [] }
        // Priority order: fewest transmits, then longest, then newest (largest id).
        let order = items.indices.sorted { a, b in
            let x = items[a], y = items[b]
            if x.transmits != y.transmits { return x.transmits < y.transmits }
            if x.message.count != y.message.count { return x.message.count > y.message.count }
            return x.id > y.id
        }
        var used = 0
        var taken: [[UInt8]] = []
        var remove: [Int] = []
        for index in order {
            let free = limit - used - overhead
            if free <= 0 { break }
            guard items[index].message.count <= free else { continue }
            used += overhead + items[index].message.count
            taken.append(items[index].message)
            items[index].transmits += 1
            if items[index].transmits >= transmitLimit { remove.append(index) }
        }
        for index in remove.sorted(by: >) {
            finished.append(items[index].key)
            items.remove(at: index)
        }
        return taken
    }

    mutating func removeAll() { items.removeAll() }
}
