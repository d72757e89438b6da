import MemberlistWire
import Membership
import Plumtree
import ProtocolSupport

// What the application asks of the node.
extension NodeCore {
    /// Push/pull with each seed; each outcome comes back as ``NodeOutput/joinCompleted(seed:failure:)``.
    /// A seed given by name is not resolved here: the driver is asked (``NodeOutput/resolveSeed(host:port:)``)
    /// and every address it answers with is joined. The seeds are remembered: while the node knows no other
    /// live member, it tries them again, and a name is resolved again at each of those tries.
    package mutating func join(_ seeds: [Seed], now: Instant, into out: inout [NodeOutput]) {
        guard membership != nil, !seeds.isEmpty else { return }
        reconnector.setSeeds(seeds, now: now, random: &random)
        var addresses: [SocketAddress] = []
        for seed in seeds {
            switch seed {
            case .address(let address):
                requestedJoins[address, default: 0] += 1
                addresses.append(address)
            case .name(let host, let port):
                if nameJoins.request(seed, forApplication: true) { out.append(.resolveSeed(host: host, port: port)) }
            }
        }
        if !addresses.isEmpty { membership!.join(addresses, now: now, into: &membershipOut) }
        drain(now: now, into: &out)
    }

    /// ``join(_:now:into:)`` with addresses only.
    package mutating func join(_ seeds: [SocketAddress], now: Instant, into out: inout [NodeOutput]) {
        join(seeds.map(Seed.address), now: now, into: &out)
    }

    /// Broadcasts `payload` to every node; returns its id.
    ///
    /// Refused, and counted in `plumtree_broadcasts_refused_total`, when it breaks a Plumtree limit or
    /// when the one-way streams in flight are at ``PlumtreeConfig/maxOutboundStreams`` or their bytes plus
    /// this payload would pass ``PlumtreeConfig/maxOutboundStreamBytes`` (a payload small enough to go
    /// as a datagram is held to the stream count only; with nothing in flight any payload goes). One
    /// accepted broadcast may pass the byte budget by its own sends: a copy per eager peer. Refusing here, before anything is queued, is what
    /// tells the application to slow down; accepting it would only queue it behind streams the peers
    /// cannot take in yet, or make them refuse it and lose it.
    package mutating func broadcast(_ payload: [UInt8], traceContext: [UInt8]? = nil, now: Instant,
                                    into out: inout [NodeOutput]) throws(PlumtreeBroadcastError) -> MessageID {
        do throws(PlumtreeBroadcastError) {
            let limits = config.plumtree
            let size = payload.count + (traceContext?.count ?? 0)
            let incoming = size > limits.packetBudget ? size : 0
            if outboundStreams.count >= limits.maxOutboundStreams
                || (incoming > 0 && outboundStreams.count > 0
                    && outboundStreams.bytes + incoming > limits.maxOutboundStreamBytes) {
                throw .outboundBacklog(bytes: outboundStreams.bytes, streams: outboundStreams.count)
            }
            let id = try plumtree.broadcast(payload, traceContext: traceContext, now: now, into: &plumtreeOut)
            drain(now: now, into: &out)
            return id
        } catch {
            metrics.broadcastRefused(error).increment()
            throw error
        }
    }

    /// Asks every member that speaks Plumtree version 2 for its neighbours; the answers come back as one
    /// ``NodeOutput/tree(id:_:)`` with the returned id, once all have answered or at `timeout`.
    package mutating func requestTree(timeout: Duration, now: Instant, into out: inout [NodeOutput]) -> UInt32 {
        let id = plumtree.requestTree(timeout: timeout, now: now, into: &plumtreeOut)
        drain(now: now, into: &out)
        return id
    }

    /// Announces new tags (the `plumtree` tag is added).
    package mutating func updateTags(_ tags: [String: String], now: Instant, into out: inout [NodeOutput]) throws(NodeCoreError) {
        guard membership != nil else { return }
        var all = tags
        all[PlumtreeTag.key] = PlumtreeTag.value(config.plumtree.protocolVersions)
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
