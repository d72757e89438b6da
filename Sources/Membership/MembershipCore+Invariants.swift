import ProtocolSupport

// What must hold between any two inputs. The node core checks it after every input in debug builds and in
// every simulated run (with ``incarnationWentDown(since:)`` for what only a history can show); a violation
// is a bug in this core.
extension MembershipCore {
    /// The first broken invariant, or nil:
    /// - the probe order lists each member once, and the state counts match the members' states;
    /// - a suspicion timer runs only for a member that is suspect now.
    package func invariantViolation() -> String? {
        let order = table.order
        if Set(order).count != order.count { return "the probe order lists a member twice" }
        var counts = MemberCounts()
        for name in order {
            guard let member = table[name] else { return "\(name) is in the probe order but not in the table" }
            counts[member.state] += 1
        }
        if counts != table.counts { return "state counts \(table.counts) do not match the members' states \(counts)" }
        for name in suspicions.keys.sorted() where table[name]?.state != .suspect {
            return "a suspicion timer runs for \(name), which is \(table[name].map { "\($0.state)" } ?? "unknown")"
        }
        return nil
    }

    /// Every member's incarnation and the node's own, for ``incarnationWentDown(since:)``.
    package var incarnations: [String: UInt32] {
        var all = [local.name: incarnation]
        for name in table.order where name != local.name { all[name] = table[name]?.incarnation }
        return all
    }

    /// A member (or the node itself) whose incarnation is lower than in `earlier`, an earlier
    /// ``incarnations``: incarnations never go down while a member stays in the table. A member reaped and
    /// met again starts over, so only names present in both are compared.
    package func incarnationWentDown(since earlier: [String: UInt32]) -> String? {
        let now = incarnations
        for (name, before) in earlier.sorted(by: { $0.key < $1.key }) {
            if let current = now[name], current < before { return "the incarnation of \(name) went down from \(before) to \(current)" }
        }
        return nil
    }
}
