import ProtocolSupport

/// A payload kept to answer Grafts and anti-entropy pulls, with how it reached this node.
struct CachedMessage {
    var id: MessageID
    var origin: String
    /// The round it was delivered with (0 for the node's own broadcasts).
    var hops: UInt16
    /// The peer slot it came from (-1 for the node's own); the tree optimization prunes that peer.
    var from: Int
    var payload: [UInt8]
    var traceContext: [UInt8]?
    var expiresAt: Instant
    /// When the message entered the cluster's caches, as far as this copy tells: this node's own receipt
    /// for a broadcast or a pushed payload, earlier for a repair payload (by the age it came with).
    /// Anti-entropy offers a message only while it is younger than the cache TTL by this measure.
    var bornAt: Instant
}

/// Payloads in arrival order, bounded by a TTL, a count and a byte budget; the oldest leaves first each way.
///
/// Arrival order equals expiry order (one TTL for all), so a FIFO serves every bound. The byte budget is
/// what bounds memory: 10,000 payloads of 64 KiB are 640 MB, so a count alone lets a flood of large
/// broadcasts take a node's memory (a payload and its trace context are counted; the fixed part of an
/// entry is a few dozen bytes and is held to the count). Entries live in an
/// array with a moving head that is compacted now and then; each entry has a sequence number so that
/// anti-entropy can walk the cache with a cursor.
struct MessageCache {
    let capacity: Int
    /// Payload and trace-context bytes held at most.
    let maxBytes: Int
    let ttl: Duration
    /// Payload and trace-context bytes held now.
    private(set) var bytes = 0
    private var entries: [CachedMessage] = []
    private var head = 0
    /// Sequence number of `entries[0]`.
    private var baseSequence: UInt64 = 0
    private var index: MessageIDTable<UInt64>

    /// - Parameter hashKey: the secret of the id table (see ``MessageIDTable``).
    init(capacity: Int, maxBytes: Int = .max, ttl: Duration, hashKey: (UInt64, UInt64)) {
        self.capacity = max(1, capacity)
        self.maxBytes = max(1, maxBytes)
        self.ttl = ttl
        index = MessageIDTable(placeholder: 0, hashKey: hashKey)
    }

    var count: Int { entries.count - head }

    /// Sequence number the next inserted entry gets.
    var endSequence: UInt64 { baseSequence + UInt64(entries.count) }
    /// Sequence number of the oldest entry held.
    var startSequence: UInt64 { baseSequence + UInt64(head) }

    /// When the oldest entry expires. Kept up to date in place, so that reading it (the driver does after
    /// every input) touches no buffer.
    private(set) var nextExpiry: Instant?

    func contains(_ id: MessageID) -> Bool { index.contains(id) }

    func get(_ id: MessageID) -> CachedMessage? {
        guard let sequence = index[id] else { return nil }
        return entries[Int(sequence - baseSequence)]
    }

    /// How `id` reached this node (its round and the peer slot it came from), without copying the entry.
    func route(of id: MessageID) -> (hops: UInt16, from: Int)? {
        guard let sequence = index[id] else { return nil }
        let position = Int(sequence - baseSequence)
        return (entries[position].hops, entries[position].from)
    }

    /// Changes how `id` is recorded to have arrived (tree optimization).
    mutating func updateRoute(_ id: MessageID, hops: UInt16, from: Int) {
        guard let sequence = index[id] else { return }
        let position = Int(sequence - baseSequence)
        entries[position].hops = hops
        entries[position].from = from
    }

    /// What one entry weighs against the byte budget.
    static func weight(of message: CachedMessage) -> Int { message.payload.count + (message.traceContext?.count ?? 0) }

    /// Older entries an insert pushed out, by the bound that pushed them.
    struct Evictions: Equatable {
        var byCount = 0
        var byBytes = 0
        var total: Int { byCount + byBytes }
    }

    /// Inserts a message; returns how many older ones it pushed out. A message heavier than the whole
    /// budget is not stored (the core refuses such a broadcast before it gets here, and a received one is
    /// delivered but cannot be served to Grafts).
    @discardableResult
    mutating func insert(_ message: CachedMessage) -> Evictions {
        var evicted = Evictions()
        let weight = Self.weight(of: message)
        guard weight <= maxBytes else { return evicted }
        while count >= capacity {
            removeOldest()
            evicted.byCount += 1
        }
        while bytes + weight > maxBytes, count > 0 {
            removeOldest()
            evicted.byBytes += 1
        }
        let sequence = endSequence
        if !index.insert(message.id, sequence) { index.update(message.id) { $0 = sequence } }
        entries.append(message)
        bytes += weight
        if nextExpiry == nil { nextExpiry = message.expiresAt }
        return evicted
    }

    /// Drops entries whose TTL has passed; returns how many.
    @discardableResult
    mutating func expire(now: Instant) -> Int {
        var expired = 0
        while head < entries.count, entries[head].expiresAt <= now {
            removeOldest()
            expired += 1
        }
        return expired
    }

    /// The entry with sequence number `sequence`, if still held.
    func entry(atSequence sequence: UInt64) -> CachedMessage? {
        guard sequence >= startSequence, sequence < endSequence else { return nil }
        return entries[Int(sequence - baseSequence)]
    }

    private mutating func removeOldest() {
        index.remove(entries[head].id)
        bytes -= Self.weight(of: entries[head])
        // Release the payload now; the slot itself goes at the next compaction.
        entries[head].payload = []
        entries[head].traceContext = nil
        head += 1
        if head >= 64, head * 2 >= entries.count {
            entries.removeFirst(head)
            baseSequence += UInt64(head)
            head = 0
        }
        nextExpiry = head < entries.count ? entries[head].expiresAt : nil
    }
}
