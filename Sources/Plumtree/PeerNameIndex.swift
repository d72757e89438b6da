/// Peer slots by name, looked up straight from the UTF-8 bytes of a received envelope.
///
/// Every received message names its sender; going through `[String: Int]` meant building and validating
/// a `String` from the bytes, then running SipHash over it, for each message. This index hashes the bytes
/// with a keyed multiply-and-shift hash (names arrive from the network, so the key keeps a sender from
/// choosing names that share a bucket) and compares candidates with the stored names byte for byte; a
/// known sender then costs no string at all. Buckets hold only a hash and a slot (8 bytes), the names stay
/// in the peer records, which also keeps the index small for nodes that know thousands of members.
///
/// Nothing iterates the index, so its layout never shows in behaviour.
struct PeerNameIndex {
    private struct Bucket {
        /// The name's hash; only its slot matters when empty.
        var hash: UInt32
        /// The peer's slot, or -1 for an empty bucket.
        var slot: Int32
    }

    private var buckets: [Bucket]
    private var mask: Int
    private let key: UInt64
    private(set) var count = 0

    init(hashKey: UInt64) {
        buckets = Array(repeating: Bucket(hash: 0, slot: -1), count: 16)
        mask = 15
        key = hashKey
    }

    /// The slot of the peer whose name is `name`, given the names of all slots.
    func slot(named name: String, in peers: [PeerRecord]) -> Int? {
        Self.withUTF8(name) { slot(forUTF8: $0, in: peers) }
    }

    /// The slot of the peer whose name's UTF-8 is `utf8`.
    func slot(forUTF8 utf8: UnsafeRawBufferPointer, in peers: [PeerRecord]) -> Int? {
        bucket(forUTF8: utf8, in: peers).map { Int(buckets[$0].slot) }
    }

    private func bucket(forUTF8 utf8: UnsafeRawBufferPointer, in peers: [PeerRecord]) -> Int? {
        let hash = Self.hash(utf8, key)
        var index = Int(truncatingIfNeeded: hash) & mask
        while true {
            let bucket = buckets[index]
            if bucket.slot < 0 { return nil }
            if bucket.hash == hash, Self.withUTF8(peers[Int(bucket.slot)].name, { Self.equal($0, utf8) }) {
                return index
            }
            index = (index &+ 1) & mask
        }
    }

    /// Records `slot` under `name`, which must not be present.
    mutating func insert(_ name: String, slot: Int) {
        if (count + 1) * 2 > buckets.count { grow() }
        let hash = Self.withUTF8(name) { Self.hash($0, key) }
        place(Bucket(hash: hash, slot: Int32(truncatingIfNeeded: slot)))
        count += 1
    }

    /// Removes the entry of `name`.
    mutating func remove(_ name: String, in peers: [PeerRecord]) {
        guard var hole = Self.withUTF8(name, { bucket(forUTF8: $0, in: peers) }) else { return }
        // Shift back every later entry of the run that may sit at the hole.
        var index = hole
        while true {
            index = (index &+ 1) & mask
            let bucket = buckets[index]
            if bucket.slot < 0 { break }
            let wanted = Int(truncatingIfNeeded: bucket.hash) & mask
            let staysPut = hole <= index ? (hole < wanted && wanted <= index) : (hole < wanted || wanted <= index)
            if staysPut { continue }
            buckets[hole] = bucket
            hole = index
        }
        buckets[hole] = Bucket(hash: 0, slot: -1)
        count -= 1
    }

    private mutating func place(_ bucket: Bucket) {
        var index = Int(truncatingIfNeeded: bucket.hash) & mask
        while buckets[index].slot >= 0 { index = (index &+ 1) & mask }
        buckets[index] = bucket
    }

    private mutating func grow() {
        let old = buckets
        buckets = Array(repeating: Bucket(hash: 0, slot: -1), count: old.count * 2)
        mask = buckets.count - 1
        for bucket in old where bucket.slot >= 0 { place(bucket) }
    }

    @inline(__always)
    private static func withUTF8<R>(_ string: String, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        if let result = string.utf8.withContiguousStorageIfAvailable({ body(UnsafeRawBufferPointer($0)) }) { return result }
        let bytes = Array(string.utf8)
        return bytes.withUnsafeBytes(body)
    }

    @inline(__always)
    private static func equal(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        guard a.count == b.count else { return false }
        for index in 0..<a.count where a[index] != b[index] { return false }
        return true
    }

    /// A keyed hash of `bytes`, eight at a time.
    @inline(__always)
    static func hash(_ bytes: UnsafeRawBufferPointer, _ key: UInt64) -> UInt32 {
        var state = key ^ (UInt64(bytes.count) &* 0x9E37_79B9_7F4A_7C15)
        var offset = 0
        while offset + 8 <= bytes.count {
            state = mix(state ^ bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
            offset += 8
        }
        if offset < bytes.count {
            var tail: UInt64 = 0
            var shift: UInt64 = 0
            while offset < bytes.count {
                tail |= UInt64(bytes[offset]) << shift
                shift += 8
                offset += 1
            }
            state = mix(state ^ tail)
        }
        return UInt32(truncatingIfNeeded: state ^ (state >> 32))
    }

    @inline(__always)
    private static func mix(_ value: UInt64) -> UInt64 {
        let product = value.multipliedFullWidth(by: 0xD6E8_FEB8_6659_FD93)
        return product.high ^ product.low
    }
}
