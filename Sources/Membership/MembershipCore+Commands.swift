import MemberlistWire
import ProtocolSupport

/// What the node asks of membership: leave, new metadata, user messages.
extension MembershipCore {
    /// Leaves gracefully (memberlist `Leave` behind serf's leave intent).
    ///
    /// First serf's leave intent (serf message type 0 inside a memberlist user message) goes to every live
    /// member and into the gossip queue, so serf agents mark us "leaving"; then a dead message about us with
    /// `From` = our name (memberlist's leave) is gossiped, which turns that into "left". When the dead
    /// message has been gossiped as often as broadcasts are, ``MembershipOutput/leaveBroadcastDone`` follows
    /// (at once when no other member is alive). The core stops probing and starting push/pulls; it keeps
    /// answering pings until the driver drops it.
    public mutating func leave(now: Instant, into out: inout [MembershipOutput]) {
        guard !hasLeft else { return }
        let intent = serfLeaveIntent()
        let others = table.members.filter { $0.name != local.name && !$0.state.isDeadOrLeft }
        for member in others {
            sendParts([intent], to: member.address, member: member.name, into: &out)
        }
        broadcasts.enqueue(intent, key: .user("serf-leave"))
        hasLeft = true
        deadNode(Dead(incarnation: incarnation, node: local.name, from: local.name), now: now, into: &out)
        if others.isEmpty {
            leaveDoneReported = true
            out.append(.leaveBroadcastDone)
        }
    }

    /// Announces new metadata (serf tags) with a new incarnation (memberlist `UpdateNode`).
    public mutating func updateMeta(_ meta: [UInt8], now: Instant, into out: inout [MembershipOutput]) throws(MembershipError) {
        guard meta.count <= MembershipConfig.metaMaxSize else { throw .metaTooLarge(size: meta.count) }
        guard !hasLeft else { throw .alreadyLeft }
        incarnation &+= 1
        local.meta = meta
        table.update(local.name) { member in
            member.meta = meta
            member.incarnation = incarnation
        }
        broadcast(localAlive().encoded(), about: local.name)
        if let me = table[local.name] { out.append(.event(.updated(me))) }
    }

    /// Sends a user message (memberlist type 8) to the named member.
    ///
    /// Best effort (`reliable: false`) goes in one UDP packet of its own as long as it fits `udpBufferSize`
    /// (memberlist `SendBestEffort`); otherwise, or when `reliable`, it goes over a TCP stream (memberlist
    /// `SendReliable`), whose outcome the driver reports like any stream.
    ///
    /// No queued gossip rides along, as in memberlist: each fact is sent `retransmitLimit` times in all,
    /// and the layer above talks to the same few neighbours over and over, so piggybacking here would spend
    /// those transmissions on the members that already know and leave others to the next push/pull.
    public mutating func sendUserMessage(
        to name: String, _ bytes: [UInt8], reliable: Bool, now: Instant, into out: inout [MembershipOutput]
    ) throws(MembershipError) {
        guard let member = table[name], !member.state.isDeadOrLeft else { throw .unknownMember(name) }
        var packetBudget = config.udpBufferSize - Compound.headerOverhead - Compound.perPartOverhead
            - labelPolicy.header.count
        if encryptOutgoing { packetBudget -= Keyring.overhead }
        if !reliable, bytes.count + 1 <= packetBudget {
            sendParts([[MessageType.user.rawValue] + bytes], to: member.address, member: member.name, into: &out)
            return
        }
        openStream(.user(bytes), to: member.address, timeout: config.tcpTimeout,
                   expectsReply: false, purpose: .userMessage(to: name), into: &out)
    }

    /// memberlist's `SendToAddress`: one user message in a UDP packet to an address that need not be a
    /// member (serf answers a query this way, to the address the query names).
    public mutating func sendUserPacket(to address: SocketAddress, _ bytes: [UInt8], into out: inout [MembershipOutput]) {
        sendParts([[MessageType.user.rawValue] + bytes], to: address, member: nil, into: &out)
    }

    /// Queues a message for the layer above to be piggybacked on gossip under `key` (a later message with
    /// the same key replaces it), sent `retransmitLimit` times like membership facts.
    public mutating func queueBroadcast(_ bytes: [UInt8], key: String) {
        broadcasts.enqueue([MessageType.user.rawValue] + bytes, key: .user(key))
        broadcasts.pruneUserMessages(keepingAtMost: Self.maxQueuedUserMessages, bytes: Self.maxQueuedUserBytes)
    }

    /// The most messages for the layer above waiting to be gossiped, and their bytes together: serf's
    /// default query queue depth, and room for that many queries of serf's default 1 KiB limit.
    public static let maxQueuedUserMessages = 4096
    public static let maxQueuedUserBytes = 4 << 20

    // MARK: serf's leave intent

    /// `[8][0]{LTime, Node, Prune}`: serf's messageLeave inside a memberlist user message. Its Lamport time
    /// is above every serf intent we saw, so serf does not discard it as old.
    func serfLeaveIntent() -> [UInt8] {
        PacketMessage.user(SerfLeave(ltime: serfClock &+ 1, node: local.name).encoded()).encoded()
    }

    /// Witnesses the Lamport time of a serf join or leave intent passing by, so our own leave intent is newer.
    mutating func noteSerfIntent(_ userMessage: [UInt8]) {
        guard let kind = userMessage.first, kind == SerfMessageKind.leave || kind == SerfMessageKind.join
        else { return }
        var reader = MsgpackReader(userMessage, start: 1)
        guard let count = try? reader.readMapCount() else { return }
        for _ in 0..<count {
            guard let key = try? reader.readKey() else { return }
            if reader.key(key, is: "LTime") {
                if let time = try? reader.readUInt(max: .max) { serfClock = max(serfClock, time) }
                return
            }
            guard (try? reader.skipValue()) != nil else { return }
        }
    }
}

/// Key rotation without restart: install the new key everywhere, make it primary everywhere, then remove
/// the old one. Every key installed is tried on what arrives; the primary seals what leaves.
extension MembershipCore {
    /// Installs `key` (16, 24 or 32 bytes). The first key installed turns encryption on and becomes primary.
    public mutating func installKey(_ key: [UInt8]) throws(WireError) {
        guard var ring = keyring else {
            keyring = try Keyring(primaryKey: key)
            return
        }
        try ring.addKey(key)
        keyring = ring
    }

    /// Makes an installed key the one that seals outgoing packets and streams.
    public mutating func useKey(_ key: [UInt8]) throws(WireError) {
        guard var ring = keyring else { throw WireError(.invalidKey, "no keyring installed") }
        try ring.useKey(key)
        keyring = ring
    }

    /// Removes a key that is not the primary one.
    public mutating func removeKey(_ key: [UInt8]) throws(WireError) {
        guard var ring = keyring else { throw WireError(.invalidKey, "no keyring installed") }
        try ring.removeKey(key)
        keyring = ring
    }
}
