import Membership
import Plumtree
import ProtocolSupport

// What the network and the clock hand the node. Each input ends with `drain`, which carries both cores'
// outputs to the caller's buffer.
extension NodeCore {
    /// A UDP datagram arrived from `source`.
    package mutating func receiveDatagram(_ bytes: [UInt8], from source: SocketAddress, now: Instant,
                                          into out: inout [NodeOutput]) {
        if membership != nil {
            membership!.receiveDatagram(bytes, from: source, now: now, into: &membershipOut)
        } else {
            receivePlumtree(bytes, from: source, now: now, into: &out)
        }
        drain(now: now, into: &out)
    }

    /// Another node opened `stream` and sent `bytes` (a whole message, as ``streamFrameStatus(_:)`` judged,
    /// or everything up to the end of the stream). The answer is one ``NodeOutput/answerStream(_:reply:)``.
    package mutating func receiveStream(_ bytes: [UInt8], from source: SocketAddress, stream: InboundStreamID,
                                        now: Instant, into out: inout [NodeOutput]) {
        var reply: [UInt8]?
        if membership != nil {
            reply = membership!.receiveStream(bytes, from: source, now: now, into: &membershipOut)
        } else {
            receivePlumtree(bytes, from: source, now: now, into: &out)
        }
        drain(now: now, into: &out)
        out.append(.answerStream(stream, reply: reply))
    }

    /// The outcome of a stream the node asked for with ``NodeOutput/openStream(_:)``.
    package mutating func streamCompleted(_ id: StreamID, result: StreamResult, now: Instant, into out: inout [NodeOutput]) {
        outboundStreams.completed(id)
        metrics.recordOutbound(outboundStreams)
        if id.rawValue >= 1 << 62 {
            // One of Plumtree's own streams under external membership: nothing waits for it.
            if case .failed(let failure) = result { metrics.sendFailed(failure).increment() }
        } else if membership != nil {
            membership!.streamCompleted(id, result: result, now: now, into: &membershipOut)
        }
        drain(now: now, into: &out)
    }

    /// Runs whatever is due: either core's timers, and a reconnect attempt.
    package mutating func handleTimeout(now: Instant, into out: inout [NodeOutput]) {
        if let deadline = plumtree.nextDeadline, deadline <= now {
            plumtree.handleTimeout(now: now, into: &plumtreeOut)
        }
        if let deadline = membership?.nextDeadline, deadline <= now {
            membership!.handleTimeout(now: now, into: &membershipOut)
        }
        reconnectIfDue(now: now, into: &out)
        expireKeyringOperations(now: now, into: &out)
        drain(now: now, into: &out)
        checkDeadlineProgress(now: now)
    }

    /// The driver's answer to ``NodeOutput/resolveSeed(host:port:)``: every address of the name, or why
    /// there are none. Every address is joined; the seed's join ends when each has answered (merged when
    /// any merged). A failure ends it at once, as ``JoinFailure/unresolved(host:reason:)``, counted under
    /// its reason. An answer nothing waits for (a second one) changes nothing.
    package mutating func seedResolved(host: String, port: UInt16, result: Result<[SocketAddress], SeedResolutionFailure>,
                                       now: Instant, into out: inout [NodeOutput]) {
        guard membership != nil else { return }
        let seed = Seed.name(host: host, port: port)
        var failure: SeedResolutionFailure?
        switch result {
        case .success(let found):
            // The port is the seed's: a driver's answer carries addresses, and duplicates are joined once.
            // This node's own address is left out: a name for the whole cluster (a Kubernetes headless
            // service) lists every member, this one too, and a push/pull with itself would pass for a join.
            var addresses: [SocketAddress] = []
            var onlySelf = false
            for address in found {
                guard let withPort = SocketAddress(ip: address.ip, port: port), !addresses.contains(withPort) else { continue }
                if withPort == membership!.local.address { onlySelf = true; continue }
                addresses.append(withPort)
            }
            if addresses.isEmpty {
                failure = SeedResolutionFailure(
                    reason: .noAddress, detail: onlySelf ? "it resolves to this node's own address only" : "no IPv4 or IPv6 address")
            } else if let toJoin = nameJoins.resolved(seed, addresses: addresses) {
                membership!.join(toJoin, now: now, into: &membershipOut)
            }
        case .failure(let error):
            failure = error
        }
        if let failure, let pending = nameJoins.resolutionFailed(seed) {
            metrics.seedResolutionFailed(failure.reason).increment()
            var finished = pending
            finished.failure = .unresolved(host: host, reason: failure.detail)
            nameJoinFinished(seed, finished, now: now, into: &out)
        }
        drain(now: now, into: &out)
    }

    /// External membership only: the caller reports `name` up (reachable where `addressOf` says) or down.
    package mutating func externalMember(_ name: String, up: Bool, now: Instant, into out: inout [NodeOutput]) {
        guard membership == nil, name != config.name else { return }
        if up {
            plumtree.memberUp(name, advertisesPlumtree: true, now: now, into: &plumtreeOut)
        } else {
            plumtree.memberDown(name, now: now, into: &plumtreeOut)
        }
        drain(now: now, into: &out)
    }

    mutating func receivePlumtree(_ bytes: [UInt8], from source: SocketAddress, now: Instant, into out: inout [NodeOutput]) {
        let first = plumtreeOut.count
        plumtree.receive(envelope: bytes, now: now, into: &plumtreeOut)
        // A refusal is reported with the address it came from, which only this call knows.
        var index = first
        while index < plumtreeOut.count {
            if case .refused(let error) = plumtreeOut[index] {
                plumtreeOut.remove(at: index)
                out.append(.refused(.plumtree(from: source, error)))
            } else {
                index += 1
            }
        }
    }
}
