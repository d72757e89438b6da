/// Which nodes can reach which: partitions (symmetric or one-way) and isolated nodes.
///
/// Every node belongs to a group; a datagram or stream from group A to group B passes unless the directed
/// pair (A, B) is blocked. A new partition replaces the previous one; `heal()` puts everyone back in one
/// group. Checked both when a datagram leaves and when it would arrive, so a partition that starts while
/// a datagram is in flight drops it, as a cut cable would.
struct Topology {
    private(set) var groupOf: [Int32] = []
    private var blocked: Set<UInt64> = []
    private var nextGroup: Int32 = 1

    var isPartitioned: Bool { !blocked.isEmpty }

    mutating func addNode() { groupOf.append(0) }

    @inline(__always)
    func canReach(from: Int, to: Int) -> Bool {
        if blocked.isEmpty { return true }
        let a = groupOf[from], b = groupOf[to]
        if a == b { return true }
        return !blocked.contains(Self.key(a, b))
    }

    /// Splits the nodes into `groups`; nodes named in no group form one more group. No group reaches
    /// another. With `oneWay`, only traffic from the first group to the others is cut.
    mutating func partition(_ groups: [[NodeID]], oneWay: Bool) {
        heal()
        var ids: [Int32] = [0]  // group 0: everyone not named
        for group in groups {
            let id = nextGroup
            nextGroup += 1
            ids.append(id)
            for node in group { groupOf[node.index] = id }
        }
        if oneWay {
            guard ids.count >= 2 else { return }
            let from = ids[1]
            for to in ids where to != from { blocked.insert(Self.key(from, to)) }
            return
        }
        for a in ids {
            for b in ids where a != b { blocked.insert(Self.key(a, b)) }
        }
    }

    mutating func heal() {
        for i in groupOf.indices { groupOf[i] = 0 }
        blocked.removeAll()
    }

    private static func key(_ a: Int32, _ b: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: a)) << 32 | UInt64(UInt32(bitPattern: b))
    }
}
