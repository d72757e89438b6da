import ProtocolSupport

// What must hold between any two inputs. The node core checks it after every input in debug builds and in
// every simulated run; a violation is a bug in this core.
extension PlumtreeCore {
    /// The first broken invariant, or nil:
    /// - eager and lazy are disjoint lists without repeats, each slot's role says which list holds it, and
    ///   together they stay within the neighbour cap;
    /// - every neighbour is a member that advertises Plumtree (`isMember`), and `members` lists exactly those;
    /// - the name index and the slots agree, both ways;
    /// - Graft state (and so a Graft timer that acts) exists only for ids not delivered yet.
    package func invariantViolation() -> String? {
        let free = Set(freeSlots)
        for (list, role) in [(eager, PeerRole.eager), (lazy, PeerRole.lazy)] {
            if Set(list).count != list.count { return "the \(role) list repeats a peer" }
            for slot in list {
                guard peers.indices.contains(slot), !free.contains(slot) else { return "\(role) slot \(slot) is not a peer" }
                if peers[slot].role != role { return "\(role) peer \(peers[slot].name) has role \(peers[slot].role)" }
                if !peers[slot].isMember { return "neighbour \(peers[slot].name) is not a member" }
            }
        }
        if !Set(eager).isDisjoint(with: lazy) { return "eager and lazy peers overlap" }
        if eager.count + lazy.count > config.neighbourCap {
            return "\(eager.count + lazy.count) neighbours, over the cap of \(config.neighbourCap)"
        }
        let memberSlots = Set(members)
        if memberSlots.count != members.count { return "the member list repeats a peer" }
        var used = 0
        for (slot, peer) in peers.enumerated() where !free.contains(slot) {
            used += 1
            if slotByName.slot(named: peer.name, in: peers) != slot { return "the name index does not find \(peer.name) at its slot" }
            if peer.isMember != memberSlots.contains(slot) { return "\(peer.name): isMember \(peer.isMember) disagrees with the member list" }
            if peer.role == .eager && !eager.contains(slot) || peer.role == .lazy && !lazy.contains(slot) {
                return "\(peer.name) has role \(peer.role) but is not in that list"
            }
        }
        if slotByName.count != used { return "the name index holds \(slotByName.count) names for \(used) peers" }
        for id in missing.keys where seen.contains(id) { return "Graft state for \(id), which was delivered" }
        return nil
    }
}
