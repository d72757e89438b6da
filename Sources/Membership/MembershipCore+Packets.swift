import MemberlistWire
import ProtocolSupport

/// memberlist's packet handling (net.go): open the packet, walk compound and compressed messages, answer
/// pings, forward indirect pings, route acks and nacks, apply alive/suspect/dead, hand user messages up.
extension MembershipCore {
    /// An inbound UDP datagram from `source`. A datagram that fails to decode anywhere (decryption, CRC,
    /// any message inside a compound) is refused as a whole and counted; it changes no state.
    public mutating func receiveDatagram(
        _ bytes: [UInt8], from source: SocketAddress, now: Instant, into out: inout [MembershipOutput]
    ) {
        metrics.received(.udp, bytes: bytes.count)
        let messages: [PacketMessage]
        do {
            messages = try Packet.decode(bytes, security: Packet.Security(keyring: keyring, verifyIncoming: config.verifyIncoming),
                                         label: labelPolicy)
        } catch {
            refuse(error, from: source, into: &out)
            return
        }
        for message in messages {
            switch message {
            case .ping(let ping): handlePing(ping, from: source, now: now, into: &out)
            case .indirectPing(let request): handleIndirectPing(request, from: source, now: now, into: &out)
            case .ackResp(let ack): handleAck(ack, from: source, now: now, into: &out)
            case .nackResp(let nack): handleNack(nack, from: source, into: &out)
            case .alive(let alive): aliveNode(alive, source: source, bootstrap: false, now: now, into: &out)
            case .suspect(let suspect): suspectNode(suspect, now: now, into: &out)
            case .dead(let dead): deadNode(dead, now: now, into: &out)
            case .user(let payload): deliverUserMessage(payload, from: source, reliable: false, into: &out)
            }
        }
    }

    /// The most indirect probes forwarded for others at once (memberlist has no limit; a healthy cluster
    /// needs about `indirectChecks` per member per probe interval).
    static let maxRelays = 1024

    var encryptOutgoing: Bool { keyring != nil && config.verifyOutgoing }
    var requireEncryption: Bool { keyring != nil && config.verifyIncoming }

    private mutating func handlePing(_ ping: Ping, from source: SocketAddress, now: Instant, into out: inout [MembershipOutput]) {
        guard ping.node.isEmpty || ping.node == local.name else {
            refuse(.wrongNode, from: source, "ping for '\(ping.node)', this node is '\(local.name)'", into: &out)
            return
        }
        let replyTo = Self.replyAddress(ip: ping.sourceAddr, port: ping.sourcePort) ?? source
        let ack = AckResp(seqNo: ping.seqNo, payload: ackPayload)
        send(ack.encoded(), to: replyTo, member: ping.sourceNode.isEmpty ? nil : ping.sourceNode, now: now, into: &out)
    }

    private mutating func handleIndirectPing(
        _ request: IndirectPingReq, from source: SocketAddress, now: Instant, into out: inout [MembershipOutput]
    ) {
        guard let target = SocketAddress(ip: request.target, port: request.port == 0 ? local.address.port : request.port)
        else {
            refuse(.malformed, from: source, "indirect ping target of \(request.target.count) bytes", into: &out)
            return
        }
        // Each relay lives one probe timeout; a flood of requests must not grow the table without bound.
        guard relays.count < Self.maxRelays else {
            refuse(.overloaded, from: source, "\(relays.count) indirect probes already in flight", into: &out)
            return
        }
        let seq = nextSequence()
        relays[seq] = IndirectRelay(
            originalSeqNo: request.seqNo,
            replyTo: Self.replyAddress(ip: request.sourceAddr, port: request.sourcePort) ?? source,
            requester: request.sourceNode, wantsNack: request.nack, deadline: now + config.probeTimeout)
        let ping = Ping(seqNo: seq, node: request.node, sourceAddr: local.address.ip, sourcePort: local.address.port,
                        sourceNode: local.name)
        send(ping.encoded(), to: target, member: request.node, now: now, into: &out)
    }

    private mutating func handleAck(_ ack: AckResp, from source: SocketAddress, now: Instant, into out: inout [MembershipOutput]) {
        if let probe, probe.seqNo == ack.seqNo {
            probeSucceeded(now: now, direct: probe.phase == .direct, into: &out)
        } else if let relay = relays.removeValue(forKey: ack.seqNo) {
            let forwarded = AckResp(seqNo: relay.originalSeqNo, payload: [])
            send(forwarded.encoded(), to: relay.replyTo, member: relay.requester, now: now, into: &out)
        } else {
            refuse(.staleAck, from: source, "ack for sequence \(ack.seqNo) that no probe waits for", into: &out)
        }
    }

    private mutating func handleNack(_ nack: NackResp, from source: SocketAddress, into out: inout [MembershipOutput]) {
        guard probe?.seqNo == nack.seqNo else {
            refuse(.staleAck, from: source, "nack for sequence \(nack.seqNo) that no probe waits for", into: &out)
            return
        }
        probe?.nacks += 1
        metrics.probe(.nack)
    }

    mutating func deliverUserMessage(_ bytes: [UInt8], from source: SocketAddress, reliable: Bool,
                                     into out: inout [MembershipOutput]) {
        noteSerfIntent(bytes)
        out.append(.userMessage(ReceivedUserMessage(
            from: table.name(at: source), address: source, bytes: bytes, reliable: reliable)))
    }

    /// A fresh AES-GCM nonce from the core's seeded random source.
    mutating func nonce() -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Keyring.nonceSize)
        while bytes.count < Keyring.nonceSize {
            var word = random.next()
            for _ in 0..<8 where bytes.count < Keyring.nonceSize {
                bytes.append(UInt8(truncatingIfNeeded: word))
                word >>= 8
            }
        }
        return bytes
    }

    static func replyAddress(ip: [UInt8], port: UInt16) -> SocketAddress? {
        guard !ip.isEmpty, port > 0 else { return nil }
        return SocketAddress(ip: ip, port: port)
    }

    // MARK: Sending

    /// Sends `message` to `address`, filling the rest of the packet with queued gossip (memberlist `sendMsg`).
    /// `member` names the receiver when known, to add a CRC for members speaking protocol 5.
    mutating func send(_ message: [UInt8], to address: SocketAddress, member: String?, now: Instant,
                       into out: inout [MembershipOutput]) {
        // memberlist sendMsg leaves room for the label header too (labelOverhead).
        let available = Compound.piggybackBudget(
            firstMessageLength: message.count, encrypted: encryptOutgoing, udpBufferSize: config.udpBufferSize)
            - labelPolicy.header.count
        let extra = takeBroadcasts(limit: available, into: &out)
        sendParts([message] + extra, to: address, member: member, into: &out)
    }

    /// Queued gossip that fits into `limit` bytes, each part costing its compound overhead too.
    mutating func takeBroadcasts(limit: Int, into out: inout [MembershipOutput]) -> [[UInt8]] {
        guard !broadcasts.isEmpty, limit > Compound.perPartOverhead else { return [] }
        var finished: [BroadcastQueue.Key] = []
        let limitPerFact = MembershipMath.retransmitLimit(retransmitMult: config.retransmitMult, members: table.count)
        let parts = broadcasts.take(overhead: Compound.perPartOverhead, limit: limit, transmitLimit: limitPerFact,
                                    finished: &finished)
        if hasLeft, !leaveDoneReported, finished.contains(.member(local.name)) {
            leaveDoneReported = true
            out.append(.leaveBroadcastDone)
        }
        return parts
    }

    /// Frames `parts` into one datagram (compound when more than one) and emits it.
    mutating func sendParts(_ parts: [[UInt8]], to address: SocketAddress, member: String?,
                            into out: inout [MembershipOutput]) {
        guard !parts.isEmpty else { return }
        let crc = member.flatMap { table[$0] }.map { $0.versions.protocolMax >= 5 } ?? false
        do {
            let payload = parts.count == 1 ? parts[0] : try Compound.build(parts)
            let sealing = encryptOutgoing ? keyring : nil
            let bytes = try Packet.encode(
                payload, compress: config.compression, addCRC: crc, keyring: sealing,
                nonce: sealing == nil ? [] : nonce(), label: labelPolicy.label)
            metrics.sent(.udp, bytes: bytes.count)
            out.append(.sendDatagram(to: address, bytes: bytes))
        } catch {
            refuse(error, from: nil, into: &out)
        }
    }

    // MARK: Gossip

    /// One gossip round: queued facts to `gossipNodes` random members, the recently dead included
    /// (memberlist `gossip`).
    mutating func gossip(now: Instant, into out: inout [MembershipOutput]) {
        guard !broadcasts.isEmpty else { return }
        let deadWindow = config.gossipToTheDeadTime
        let targets = table.randomMembers(config.gossipNodes, random: &random) { member in
            guard member.name != local.name else { return false }
            switch member.state {
            case .alive, .suspect: return true
            case .dead: return now.duration(since: member.stateChange) <= deadWindow
            case .left: return false
            }
        }
        var available = config.udpBufferSize - Compound.headerOverhead - labelPolicy.header.count
        if encryptOutgoing { available -= Keyring.overhead }
        for target in targets {
            let parts = takeBroadcasts(limit: available, into: &out)
            if parts.isEmpty { return }
            sendParts(parts, to: target.address, member: target.name, into: &out)
        }
    }
}
