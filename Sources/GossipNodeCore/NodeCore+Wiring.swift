import MemberlistWire
import Membership
import Plumtree
import ProtocolSupport

// Between the cores: membership's outputs feed Plumtree and the driver, Plumtree's feed membership and the
// driver, until neither has anything left.
extension NodeCore {
    mutating func drain(now: Instant, into out: inout [NodeOutput]) {
        while !membershipOut.isEmpty || !plumtreeOut.isEmpty {
            // Each batch is moved out rather than copied (a copy would make the core's next append allocate a
            // fresh buffer), and its buffer comes back afterwards with its capacity.
            if !membershipOut.isEmpty {
                var batch = membershipOut
                membershipOut = []
                for output in batch { carry(output, now: now, into: &out) }
                batch.removeAll(keepingCapacity: true)
                if membershipOut.isEmpty { membershipOut = batch }
            }
            if !plumtreeOut.isEmpty {
                var batch = plumtreeOut
                plumtreeOut = []
                for output in batch { carry(output, now: now, into: &out) }
                batch.removeAll(keepingCapacity: true)
                if plumtreeOut.isEmpty { plumtreeOut = batch }
            }
        }
        checkInvariantsIfEnabled()
    }

    private mutating func carry(_ output: MembershipOutput, now: Instant, into out: inout [NodeOutput]) {
        switch output {
        case .sendDatagram(let to, let bytes):
            out.append(.sendDatagram(to: to, bytes: bytes))
        case .openStream(let request):
            openStream(request, into: &out)
        case .event(let event):
            memberEvent(event, now: now, into: &out)
            out.append(.member(event))
            if case .failed(let member) = event, member.name != config.name, let suspicion = suspectPartition(member, now: now) {
                metrics.partitionsSuspected.increment()
                out.append(.partitionSuspected(suspicion))
            }
        case .userMessage(let message):
            // Everything else is serf's: its queries are answered, its events and intents pass by.
            if PlumtreeEnvelope.isPlumtree(message.bytes) {
                receivePlumtree(message.bytes, from: message.address, now: now, into: &out)
            } else {
                receiveSerfMessage(message, now: now, into: &out)
            }
        case .refused(let refusal):
            out.append(.refused(.membership(refusal)))
        case .leaveBroadcastDone:
            out.append(.leaveDone)
        case .joinCompleted(let seed, let failure):
            joinCompleted(seed: seed, failure: failure, now: now, into: &out)
        case .userMessageFailed(_, let failure):
            // Only Plumtree sends user messages through this node: a Plumtree message accepted and lost.
            metrics.sendFailed(failure).increment()
        }
    }

    private mutating func carry(_ output: PlumtreeOutput, now: Instant, into out: inout [NodeOutput]) {
        switch output {
        case .send(let to, let bytes, let preferReliable):
            send(bytes, to: to, reliable: preferReliable, now: now, into: &out)
        case .deliver(let message):
            out.append(.deliver(message))
        case .graft(let event):
            out.append(.graft(event))
        case .refused(let error):
            // Refusals of received bytes are taken out with their source in `receivePlumtree`.
            out.append(.refused(.plumtree(from: nil, error)))
        case .tree(let id, let view):
            out.append(.tree(id: id, view))
        }
    }

    /// A Plumtree message for `name`: a memberlist user message, or under external membership a datagram
    /// or stream of its own.
    private mutating func send(_ bytes: [UInt8], to name: String, reliable: Bool, now: Instant, into out: inout [NodeOutput]) {
        if membership != nil {
            do {
                try membership!.sendUserMessage(to: name, bytes, reliable: reliable, now: now, into: &membershipOut)
            } catch {
                // The member left membership between Plumtree's choice and now; Plumtree hears of it next.
                metrics.sendsFailedMemberGone.increment()
            }
            return
        }
        guard case .external(let addressOf) = config.membershipSource, let address = addressOf(name) else {
            metrics.sendsFailedMemberGone.increment()
            return
        }
        if reliable {
            nextExternalStream += 1
            openStream(StreamRequest(id: StreamID(rawValue: nextExternalStream), to: address, request: bytes,
                                     timeout: config.membership.tcpTimeout, expectsReply: false), into: &out)
        } else {
            out.append(.sendDatagram(to: address, bytes: bytes))
        }
    }

    /// Every stream leaves through here, so that the ledger of one-way streams sees each one.
    private mutating func openStream(_ request: StreamRequest, into out: inout [NodeOutput]) {
        outboundStreams.opened(request)
        metrics.recordOutbound(outboundStreams)
        out.append(.openStream(request))
    }

    /// Member events drive the overlay and the reconnect schedule. Only members that advertise Plumtree
    /// (their `plumtree` tag) become overlay candidates; a member whose tag disappears is dropped.
    /// Feeds a failure to the partition detector. The window is the longest suspicion timeout at the
    /// cluster's size (Lifeguard's `suspicionMaxTimeoutMult` times the shortest): a suspicion that few
    /// members can confirm, as in a small cluster, runs that long, so failures that began together can end
    /// that far apart.
    private mutating func suspectPartition(_ member: Member, now: Instant) -> PartitionSuspicion? {
        let liveOthers = max(0, memberCounts.live - 1)
        let shortest = MembershipMath.suspicionTimeout(
            suspicionMult: config.membership.suspicionMult, members: liveOthers + 2,
            probeInterval: config.membership.probeInterval)
        let window = shortest * config.membership.suspicionMaxTimeoutMult
        return partitions.memberFailed(member.name, liveOthers: liveOthers, window: window, now: now)
    }

    private mutating func memberEvent(_ event: MemberEvent, now: Instant, into out: inout [NodeOutput]) {
        switch event {
        case .joined(let member), .updated(let member), .recovered(let member):
            guard member.name != config.name else { return }
            reconnector.memberBack(member.name)
            let link = plumtreeLink(member.meta)
            noteVersionMismatch(member.name, link, into: &out)
            plumtree.memberUp(member.name, version: link.version, now: now, into: &plumtreeOut)
            // Back from suspicion: it was likely unreachable meanwhile, and missed what was broadcast.
            if case .recovered = event { plumtree.memberRecovered(member.name, now: now) }
        case .failed(let member):
            guard member.name != config.name else { return }
            noteVersionMismatch(member.name, .notPlumtree, into: &out)
            plumtree.memberDown(member.name, now: now, into: &plumtreeOut)
            reconnector.memberFailed(member.name, address: member.address, now: now, random: &random)
        case .left(let member):
            guard member.name != config.name else { return }
            // A member that left on purpose is not called back (serf does the same).
            reconnector.memberBack(member.name)
            noteVersionMismatch(member.name, .notPlumtree, into: &out)
            plumtree.memberDown(member.name, now: now, into: &plumtreeOut)
        case .reaped(let member):
            // Forgotten by membership, but still on the reconnect list if it failed.
            guard member.name != config.name else { return }
            noteVersionMismatch(member.name, .notPlumtree, into: &out)
            plumtree.memberDown(member.name, now: now, into: &plumtreeOut)
        case .suspect:
            break
        }
    }

    // MARK: Joins and reconnects

    private mutating func joinCompleted(seed: SocketAddress, failure: JoinFailure?, now: Instant, into out: inout [NodeOutput]) {
        // A push/pull with one of the addresses a seed's name gave belongs to that name's join.
        switch nameJoins.pushPullEnded(seed, failure: failure) {
        case .finished(let name, let pending):
            nameJoinFinished(name, pending, now: now, into: &out)
            return
        case .counted:
            return
        case .notOurs:
            break
        }
        if reconnector.isInFlight(.address(seed)), let attempt = reconnector.finished(.address(seed)) {
            metrics.reconnects(succeeded: failure == nil).increment()
            if let failure {
                out.append(.reconnect(.failed(member: attempt.member, target: .address(seed), failure)))
            } else {
                out.append(.reconnect(.succeeded(member: attempt.member, target: .address(seed))))
            }
            if requestedJoins[seed] == nil { return }
        }
        guard let pending = requestedJoins[seed] else { return }
        requestedJoins[seed] = pending > 1 ? pending - 1 : nil
        out.append(.joinCompleted(seed: .address(seed), failure: failure))
    }

    /// A seed given by name was joined, or failed to resolve: one outcome for the retry and the
    /// application's join that waited for it.
    mutating func nameJoinFinished(_ seed: Seed, _ pending: SeedNameJoins.Pending, now: Instant, into out: inout [NodeOutput]) {
        let failure = pending.outcome
        if pending.forRetry, reconnector.finished(seed) != nil {
            metrics.reconnects(succeeded: failure == nil).increment()
            if let failure {
                out.append(.reconnect(.failed(member: nil, target: seed, failure)))
            } else {
                out.append(.reconnect(.succeeded(member: nil, target: seed)))
            }
        }
        if pending.forApplication { out.append(.joinCompleted(seed: seed, failure: failure)) }
    }

    mutating func reconnectIfDue(now: Instant, into out: inout [NodeOutput]) {
        guard membership != nil, !membership!.isLeft else { return }
        for name in reconnector.expire(now: now) { out.append(.reconnect(.expired(member: name))) }
        guard let attempt = reconnector.nextAttempt(alone: isAlone, now: now, random: &random) else { return }
        out.append(.reconnect(.attempted(member: attempt.member, target: attempt.target)))
        switch attempt.target {
        case .address(let address):
            membership!.join([address], now: now, into: &membershipOut)
        case .name(let host, let port):
            // Resolved again at every try: the seeds behind a name may have moved since the last.
            if nameJoins.request(attempt.target, forApplication: false) {
                out.append(.resolveSeed(host: host, port: port))
            }
        }
    }
}
