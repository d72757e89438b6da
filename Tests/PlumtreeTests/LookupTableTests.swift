@testable import Plumtree
import ProtocolSupport
import Testing

/// The core's two hand-made hash tables against the standard library's `Dictionary`, under random churn
/// of the kind the core produces (bounded sets: inserts, lookups and removals interleaved), including the
/// all-zero id that `MessageIDTable` keeps outside its buckets and keys that crowd into one run.
@Suite("Plumtree lookup tables")
struct LookupTableTests {
    @Test(arguments: [UInt64(1), 2, 3])
    func messageIDTableAgreesWithDictionary(seed: UInt64) {
        var random = SeededRandom(seed: seed)
        var table = MessageIDTable<Int>(placeholder: -1, hashKey: (random.next(), random.next()))
        var reference: [MessageID: Int] = [:]
        // A small key space makes removals and re-inserts of the same ids frequent.
        let ids = (0..<600).map { index in
            index == 0 ? MessageID(high: 0, low: 0) : MessageID(high: random.next() % 64, low: random.next() % 8)
        }
        for step in 0..<20_000 {
            let id = ids[Int(random.next() % UInt64(ids.count))]
            switch random.next() % 4 {
            case 0, 1:
                let inserted = table.insert(id, step)
                #expect(inserted == (reference[id] == nil))
                if inserted { reference[id] = step }
            case 2:
                let removed = table.remove(id)
                #expect(removed == reference.removeValue(forKey: id))
            default:
                let updated = table.update(id) { $0 += 1 }
                #expect(updated == (reference[id] != nil))
                if updated { reference[id]! += 1 }
            }
            #expect(table.count == reference.count)
        }
        for id in ids {
            #expect(table[id] == reference[id])
            #expect(table.contains(id) == (reference[id] != nil))
        }
    }

    @Test func messageIDTableEmptiesCompletely() {
        var random = SeededRandom(seed: 9)
        var table = MessageIDTable<Int>(placeholder: 0, hashKey: (random.next(), random.next()))
        let ids = (0..<5_000).map { _ in MessageID(drawingFrom: &random) }
        for (index, id) in ids.enumerated() {
            let inserted = table.insert(id, index)
            #expect(inserted)
        }
        #expect(table.count == ids.count)
        for (index, id) in ids.enumerated().reversed() {
            let removed = table.remove(id)
            #expect(removed == index)
        }
        #expect(table.isEmpty)
        #expect(ids.allSatisfy { !table.contains($0) })
    }

    @Test(arguments: [UInt64(4), 5])
    func peerNameIndexAgreesWithDictionary(seed: UInt64) {
        var random = SeededRandom(seed: seed)
        var index = PeerNameIndex(hashKey: random.next())
        var peers: [PeerRecord] = []
        var reference: [String: Int] = [:]
        // Names of every length around the hash's 8-byte steps, and non-ASCII ones.
        let names = (0..<300).map { number -> String in
            let stem = number % 3 == 0 ? "nöde-" : "node-"
            return stem + String(repeating: "x", count: number % 19) + String(number)
        }
        for _ in 0..<10_000 {
            let name = names[Int(random.next() % UInt64(names.count))]
            if let slot = reference[name], random.next() % 2 == 0 {
                index.remove(name, in: peers)
                reference[name] = nil
                peers[slot].name = ""
            } else if reference[name] == nil {
                peers.append(PeerRecord(name: name, graftBurst: 1, now: Instant(nanoseconds: 0)))
                index.insert(name, slot: peers.count - 1)
                reference[name] = peers.count - 1
            }
            #expect(index.count == reference.count)
        }
        for name in names {
            #expect(index.slot(named: name, in: peers) == reference[name])
            let viaBytes = Array(name.utf8).withUnsafeBytes { index.slot(forUTF8: $0, in: peers) }
            #expect(viaBytes == reference[name])
        }
    }
}
