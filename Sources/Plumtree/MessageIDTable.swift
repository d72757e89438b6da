/// A hash map from ``MessageID`` to `Value`: open addressing with linear probing, for the per-message
/// lookups (seen-set, cache index).
///
/// Every relayed message costs several lookups, inserts and removals; the standard library's `Dictionary`
/// runs SipHash over both words of the id for each, and again for every neighbour it shifts on removal,
/// which made hashing the largest single cost of relaying. Ids are 128 random bits already, so one
/// multiplication spreads them well enough. The multiplication is keyed with a per-core secret: ids come
/// from the network, and a sender who could predict the bucket of an id could fill one run of buckets and
/// make every lookup walk it.
///
/// A bucket holds its key and value side by side, so that a probe touches one cache line, not two.
///
/// Nothing iterates the table, so its layout (which depends on the key) never shows in behaviour.
/// Removal shifts later entries of the run back (no tombstones), so lookups stay short under the steady
/// insert/remove churn of a bounded set.
struct MessageIDTable<Value> {
    private struct Bucket {
        /// The all-zero id marks an empty bucket (the id zero itself lives in `zeroValue`).
        var key: MessageID
        var value: Value
    }

    private var buckets: [Bucket]
    private var zeroValue: Value?
    private var mask: Int
    private let placeholder: Value
    private let key0: UInt64
    private let key1: UInt64
    /// Entries held, the zero id included.
    private(set) var count = 0

    /// - Parameters:
    ///   - placeholder: the value empty buckets hold (never returned).
    ///   - hashKey: the secret the bucket of an id depends on.
    init(placeholder: Value, hashKey: (UInt64, UInt64)) {
        self.placeholder = placeholder
        self.buckets = Array(repeating: Bucket(key: MessageID(high: 0, low: 0), value: placeholder), count: 16)
        self.mask = 15
        self.key0 = hashKey.0
        self.key1 = hashKey.1
    }

    var isEmpty: Bool { count == 0 }

    @inline(__always)
    private static func home(_ id: MessageID, _ key0: UInt64, _ key1: UInt64, _ mask: Int) -> Int {
        let product = (id.high ^ key0).multipliedFullWidth(by: id.low ^ key1)
        return Int(truncatingIfNeeded: product.high ^ product.low) & mask
    }

    @inline(__always)
    private func home(_ id: MessageID) -> Int { Self.home(id, key0, key1, mask) }

    @inline(__always)
    private static func isEmptyKey(_ id: MessageID) -> Bool { id.high | id.low == 0 }

    /// Walks the run from the home of `id` (never the zero id): the bucket holding it, or the empty bucket
    /// where it would go.
    @inline(__always)
    private func probe(_ id: MessageID) -> (index: Int, found: Bool) {
        buckets.withUnsafeBufferPointer { buckets in
            var index = home(id)
            while true {
                let key = buckets[index].key
                if key == id { return (index, true) }
                if Self.isEmptyKey(key) { return (index, false) }
                index = (index &+ 1) & mask
            }
        }
    }

    /// The bucket holding `id` (never the zero id), or nil.
    @inline(__always)
    private func bucket(of id: MessageID) -> Int? {
        let (index, found) = probe(id)
        return found ? index : nil
    }

    func contains(_ id: MessageID) -> Bool {
        if Self.isEmptyKey(id) { return zeroValue != nil }
        return bucket(of: id) != nil
    }

    subscript(id: MessageID) -> Value? {
        if Self.isEmptyKey(id) { return zeroValue }
        guard let index = bucket(of: id) else { return nil }
        return buckets[index].value
    }

    /// Replaces the value of `id` if present; returns whether it was.
    @discardableResult
    mutating func update(_ id: MessageID, _ change: (inout Value) -> Void) -> Bool {
        if Self.isEmptyKey(id) {
            guard var value = zeroValue else { return false }
            change(&value)
            zeroValue = value
            return true
        }
        guard let index = bucket(of: id) else { return false }
        change(&buckets[index].value)
        return true
    }

    /// Adds `id` with `value` unless present; returns whether it was added.
    @discardableResult
    mutating func insert(_ id: MessageID, _ value: Value) -> Bool {
        if Self.isEmptyKey(id) {
            guard zeroValue == nil else { return false }
            zeroValue = value
            count += 1
            return true
        }
        // At most half full: runs stay a few buckets long.
        if (count + 1) * 2 > buckets.count { grow() }
        let (index, found) = probe(id)
        guard !found else { return false }
        buckets[index] = Bucket(key: id, value: value)
        count += 1
        return true
    }

    /// Removes `id`; returns its value if it was present.
    @discardableResult
    mutating func remove(_ id: MessageID) -> Value? {
        if Self.isEmptyKey(id) {
            guard let value = zeroValue else { return nil }
            zeroValue = nil
            count -= 1
            return value
        }
        guard var hole = bucket(of: id) else { return nil }
        let removed = buckets[hole].value
        let (key0, key1, mask) = (key0, key1, mask)
        buckets.withUnsafeMutableBufferPointer { buckets in
            // Shift back every later entry of the run that may sit at the hole: one whose home is not
            // cyclically within (hole, index].
            var index = hole
            while true {
                index = (index &+ 1) & mask
                let key = buckets[index].key
                if Self.isEmptyKey(key) { break }
                let wanted = Self.home(key, key0, key1, mask)
                let staysPut = hole <= index ? (hole < wanted && wanted <= index) : (hole < wanted || wanted <= index)
                if staysPut { continue }
                buckets.swapAt(hole, index)
                hole = index
            }
            buckets[hole].key = MessageID(high: 0, low: 0)
        }
        buckets[hole].value = placeholder
        count -= 1
        return removed
    }

    private mutating func grow() {
        let size = buckets.count * 2
        let mask = size - 1
        var grown = Array(repeating: Bucket(key: MessageID(high: 0, low: 0), value: placeholder), count: size)
        for bucket in buckets where !Self.isEmptyKey(bucket.key) {
            var index = Self.home(bucket.key, key0, key1, mask)
            while !Self.isEmptyKey(grown[index].key) { index = (index &+ 1) & mask }
            grown[index] = bucket
        }
        buckets = grown
        self.mask = mask
    }
}
