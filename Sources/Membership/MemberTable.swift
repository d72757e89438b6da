import ProtocolSupport

/// The member list in probe order, with a name index (memberlist's `nodes` slice and `nodeMap`).
///
/// The probe order is a randomized round-robin: a new member is inserted at a random position, and the
/// whole list is reshuffled each time the probe index wraps. All randomness comes from the caller's
/// `SeededRandom`, and nothing iterates the dictionary where order could matter.
struct MemberTable: Sendable {
    private(set) var order: [String] = []
    private var byName: [String: Member] = [:]
    /// Who listens at an address, to name the sender of a user message.
    private var byAddress: [SocketAddress: String] = [:]
    private(set) var counts = MemberCounts()

    var count: Int { order.count }

    subscript(name: String) -> Member? { byName[name] }

    /// The member known at `address`, if any.
    func name(at address: SocketAddress) -> String? { byAddress[address] }

    /// Members in probe order.
    var members: [Member] { order.compactMap { byName[$0] } }

    /// Inserts a member not known yet at a random position, as memberlist does, so probing order differs
    /// from join order.
    mutating func insert(_ member: Member, random: inout SeededRandom) {
        guard byName[member.name] == nil else { return }
        byName[member.name] = member
        byAddress[member.address] = member.name
        counts[member.state] += 1
        let offset = order.isEmpty ? 0 : Int(random.next(upperBound: UInt64(order.count)))
        order.append(member.name)
        order.swapAt(offset, order.count - 1)
    }

    /// Changes a known member in place, keeping the state counts right.
    mutating func update(_ name: String, _ body: (inout Member) -> Void) {
        guard var member = byName[name] else { return }
        let before = member.state
        let address = member.address
        body(&member)
        if member.address != address {
            if byAddress[address] == name { byAddress[address] = nil }
            byAddress[member.address] = name
        }
        if member.state != before {
            counts[before] -= 1
            counts[member.state] += 1
        }
        byName[name] = member
    }

    /// Removes the dead and left members whose state changed more than `after` ago, then shuffles the
    /// rest (memberlist's `resetNodes`). Returns the removed members in table order.
    mutating func reap(olderThan after: Duration, now: Instant, random: inout SeededRandom) -> [Member] {
        var reaped: [Member] = []
        order.removeAll { name in
            guard let member = byName[name], member.state.isDeadOrLeft,
                now.duration(since: member.stateChange) > after
            else { return false }
            reaped.append(member)
            return true
        }
        for member in reaped {
            byName[member.name] = nil
            if byAddress[member.address] == member.name { byAddress[member.address] = nil }
            counts[member.state] -= 1
        }
        order.shuffle(using: &random)
        return reaped
    }

    /// Up to `k` distinct members chosen at random among those `include` accepts, in draw order.
    func randomMembers(_ k: Int, random: inout SeededRandom, where include: (Member) -> Bool) -> [Member] {
        guard k > 0 else { return [] }
        var candidates = order.compactMap { name -> Member? in
            guard let member = byName[name], include(member) else { return nil }
            return member
        }
        let picks = min(k, candidates.count)
        for i in 0..<picks {
            let j = i + Int(random.next(upperBound: UInt64(candidates.count - i)))
            candidates.swapAt(i, j)
        }
        return Array(candidates.prefix(picks))
    }
}
