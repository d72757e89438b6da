import MemberlistWire
import Membership
import Plumtree
import ProtocolSupport

// What the application asks of the node.
extension NodeCore {
    /// Push/pull with each seed; each outcome comes back as ``NodeOutput/joinCompleted(seed:failure:)``.
    /// The seeds are remembered: while the node knows no other live member, it tries them again.
    package mutating func join(_ seeds: [SocketAddress], now: Instant, into out: inout [NodeOutput]) {
        guard membership != nil, !seeds.isEmpty else { return }
        for seed in seeds { requestedJoins[seed, default: 0] += 1 }
        reconnector.setSeeds(seeds, now: now, random: &random)
        membership!.join(seeds, now: now, into: &membershipOut)
        drain(now: now, into: &out)
    }

    /// Broadcasts `payload` to every node; returns its id.
    package mutating func broadcast(_ payload: [UInt8], traceContext: [UInt8]? = nil, now: Instant,
                                    into out: inout [NodeOutput]) throws(PlumtreeBroadcastError) -> MessageID {
        let id = try plumtree.broadcast(payload, traceContext: traceContext, now: now, into: &plumtreeOut)
        drain(now: now, into: &out)
        return id
    }

    /// Announces new tags (the `plumtree` tag is added).
    package mutating func updateTags(_ tags: [String: String], now: Instant, into out: inout [NodeOutput]) throws(NodeCoreError) {
        guard membership != nil else { return }
        var all = tags
        all[PlumtreeTag.key] = PlumtreeTag.value
        let meta = SerfTags.encodeUnchecked(all)
        guard meta.count <= SerfTags.maxMetaSize else { throw .tagsTooLarge(size: meta.count) }
        do {
            try membership!.updateMeta(meta, now: now, into: &membershipOut)
        } catch {
            throw .tagsTooLarge(size: meta.count)
        }
        drain(now: now, into: &out)
    }

    /// Starts a graceful leave; ``NodeOutput/leaveDone`` follows once it has been gossiped. Nothing is
    /// retried after a leave.
    package mutating func leave(now: Instant, into out: inout [NodeOutput]) {
        guard membership != nil else { return }
        membership!.leave(now: now, into: &membershipOut)
        drain(now: now, into: &out)
    }
}
