import MemberlistWire
import ProtocolSupport

/// The failure detector (memberlist state.go `probe`, `probeNode`): one member per probe interval in a
/// randomized round-robin, a direct ping, then indirect pings through `indirectChecks` members and a TCP
/// ping, then suspicion. Lifeguard scales the interval and timeout by the awareness score.
extension MembershipCore {
    /// Starts the next probe and schedules the one after it.
    mutating func probeRound(now: Instant, into out: inout [MembershipOutput]) {
        // A probe still running (its deadline equals this tick at most) finishes first.
        if probe != nil { finishProbe(now: now, into: &out) }
        nextProbeAt = config.probeInterval > .zero ? now + awareness.scale(config.probeInterval) : .never
        guard !hasLeft, let target = nextProbeTarget(now: now, into: &out) else { return }
        startProbe(target, now: now, into: &out)
    }

    /// The next member in probe order that is neither us nor dead or left; reshuffles (and reaps) when the
    /// list wraps (memberlist `probe` and `resetNodes`).
    private mutating func nextProbeTarget(now: Instant, into out: inout [MembershipOutput]) -> Member? {
        var checked = 0
        while checked < table.count {
            if probeIndex >= table.count {
                reapAndShuffle(now: now, into: &out)
                probeIndex = 0
                checked += 1
                continue
            }
            let name = table.order[probeIndex]
            probeIndex += 1
            guard let member = table[name], member.name != local.name, !member.state.isDeadOrLeft else {
                checked += 1
                continue
            }
            return member
        }
        return nil
    }

    /// Removes members dead or left for longer than `gossipToTheDeadTime`, then reshuffles probe order.
    mutating func reapAndShuffle(now: Instant, into out: inout [MembershipOutput]) {
        let reaped = table.reap(olderThan: config.gossipToTheDeadTime, now: now, random: &random)
        for member in reaped {
            suspicions[member.name] = nil
            out.append(.event(.reaped(member)))
        }
        if !reaped.isEmpty { metrics.setMembers(table.counts) }
    }

    private mutating func startProbe(_ target: Member, now: Instant, into out: inout [MembershipOutput]) {
        let seq = nextSequence()
        let ping = Ping(seqNo: seq, node: target.name, sourceAddr: local.address.ip, sourcePort: local.address.port,
                        sourceNode: local.name)
        probe = ProbeInFlight(
            target: target.name, targetIncarnation: target.incarnation, seqNo: seq, start: now,
            ackDeadline: now + awareness.scale(config.probeTimeout),
            deadline: now + awareness.scale(config.probeInterval))
        if target.state == .alive {
            send(ping.encoded(), to: target.address, member: target.name, now: now, into: &out)
        } else {
            // A suspect is told it is suspected along with the ping, so it can refute at once.
            let suspect = Suspect(incarnation: target.incarnation, node: target.name, from: local.name)
            sendParts([ping.encoded(), suspect.encoded()], to: target.address, member: target.name, into: &out)
        }
    }

    /// The probe's current deadline passed: go indirect after the ack timeout, give up after the interval.
    mutating func advanceProbe(now: Instant, into out: inout [MembershipOutput]) {
        guard var current = probe else { return }
        if current.phase == .direct, now < current.deadline {
            current.phase = .indirect
            sendIndirectProbes(&current, now: now, into: &out)
            probe = current
            return
        }
        finishProbe(now: now, into: &out)
    }

    private mutating func sendIndirectProbes(_ current: inout ProbeInFlight, now: Instant,
                                             into out: inout [MembershipOutput]) {
        guard let target = table[current.target] else { return }
        let helpers = table.randomMembers(config.indirectChecks, random: &random) { member in
            member.name != local.name && member.name != target.name && member.state == .alive
        }
        for helper in helpers {
            let wantsNack = helper.versions.protocolMax >= 4
            if wantsNack { current.expectedNacks += 1 }
            let request = IndirectPingReq(
                seqNo: current.seqNo, target: target.address.ip, port: target.address.port, node: target.name,
                nack: wantsNack, sourceAddr: local.address.ip, sourcePort: local.address.port,
                sourceNode: local.name)
            send(request.encoded(), to: helper.address, member: helper.name, now: now, into: &out)
        }
        if config.tcpPings, target.versions.protocolMax >= 3 {
            let ping = Ping(seqNo: current.seqNo, node: target.name, sourceAddr: local.address.ip,
                            sourcePort: local.address.port, sourceNode: local.name)
            let timeout = current.deadline.duration(since: now)
            current.tcpStream = openStream(
                .ping(ping), to: target.address, timeout: timeout, expectsReply: true,
                purpose: .tcpPing(seqNo: current.seqNo, target: target.name), into: &out)
        }
    }

    /// An ack for the running probe (direct, forwarded, or over the TCP fallback).
    mutating func probeSucceeded(now: Instant, direct: Bool, into out: inout [MembershipOutput]) {
        guard let current = probe else { return }
        probe = nil
        if let stream = current.tcpStream { pendingStreams[stream] = nil }
        if direct {
            metrics.probeRTT(now.duration(since: current.start))
            metrics.probe(.ack)
        } else {
            metrics.probe(.indirectAck)
        }
        applyAwareness(-1)
    }

    /// No ack before the probe deadline: raise awareness by the nacks missing, suspect the target.
    private mutating func finishProbe(now: Instant, into out: inout [MembershipOutput]) {
        guard let current = probe else { return }
        probe = nil
        if let stream = current.tcpStream { pendingStreams[stream] = nil }
        metrics.probe(.timeout)
        if current.expectedNacks > 0 {
            applyAwareness(max(0, current.expectedNacks - current.nacks))
        } else {
            applyAwareness(1)
        }
        let suspect = Suspect(incarnation: current.targetIncarnation, node: current.target, from: local.name)
        suspectNode(suspect, now: now, into: &out)
    }

    mutating func applyAwareness(_ delta: Int) {
        if awareness.apply(delta: delta) { metrics.setHealthScore(awareness.score) }
    }
}
