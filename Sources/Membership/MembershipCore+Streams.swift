import MemberlistWire
import ProtocolSupport

/// TCP streams (memberlist net.go `handleConn`, `sendAndReceiveState`, `sendPingAndWaitForAck`): push/pull
/// state exchange, reliable user messages and the TCP ping, inbound and outbound.
extension MembershipCore {
    /// Whether `bytes` read so far from a stream form one complete request or reply.
    ///
    /// memberlist streams carry no outer length (except encrypted ones), so a driver needs to know when to
    /// hand the bytes over. This answers for a whole buffer at once; a driver reading in pieces should keep
    /// one ``makeStreamFrameAssembler()`` per stream instead, so each read costs only its own bytes.
    /// `.invalid` means no more bytes can make them valid: refuse and close.
    public func streamFrameStatus(_ bytes: [UInt8], direction: StreamDirection = .request) -> StreamFrameStatus {
        var assembler = makeStreamFrameAssembler(direction: direction)
        return StreamFrameStatus(assembler.feed(bytes))
    }

    /// An assembler with this core's keyring settings, for drivers that read a stream in pieces: feed it
    /// every read; once it says `.complete(length:)`, pass its first `length` bytes to
    /// ``receiveStream(_:from:now:into:)`` (or ``streamCompleted(_:result:now:into:)``). On `.invalid`, pass
    /// its bytes all the same: the core refuses and counts them (and, for an inbound request, returns the
    /// error reply to write). `direction` says whether it reads a request a peer opened (which may carry
    /// the label header) or the reply to a stream this node opened (which never does).
    public func makeStreamFrameAssembler(direction: StreamDirection = .request) -> StreamFrameAssembler {
        StreamFrameAssembler(hasKeyring: keyring != nil, verifyIncoming: config.verifyIncoming, label: labelPolicy,
                             direction: direction)
    }

    /// A reader with this core's keyring, for drivers that read a stream in pieces: feed it every read;
    /// once it says `.complete(_, consumed:)`, pass the first `consumed` bytes to ``receiveStream(_:from:now:into:)``
    /// (or ``streamCompleted(_:result:now:into:)``). On `.failed`, pass the bytes read so far all the same:
    /// the core refuses and counts them (and, for an inbound request, returns the error reply to write).
    public func makeStreamReader(direction: StreamDirection = .request) -> StreamReader {
        StreamReader(keyring: keyring, verifyIncoming: config.verifyIncoming, label: labelPolicy, direction: direction)
    }

    func decodeStream(_ bytes: [UInt8], direction: StreamDirection) throws(WireError) -> StreamMessage {
        try StreamReader.decode(bytes, keyring: keyring, verifyIncoming: config.verifyIncoming, label: labelPolicy,
                                direction: direction)
    }

    /// A complete inbound stream request from `source`; returns the reply to write before closing, or nil
    /// to just close. A push/pull is answered with our state as it was BEFORE merging theirs, so a joiner
    /// we refuse still learns why from its own checks.
    public mutating func receiveStream(
        _ bytes: [UInt8], from source: SocketAddress, now: Instant, into out: inout [MembershipOutput]
    ) -> [UInt8]? {
        metrics.received(.tcp, bytes: bytes.count)
        let message: StreamMessage
        do {
            message = try decodeStream(bytes, direction: .request)
        } catch {
            refuse(error, from: source, into: &out)
            // memberlist closes a stream of another cluster, or one whose label header is broken, without a
            // word (handleConn); an error reply would hand it our refusal, sealed under our label.
            if error.reason == .labelMismatch || Self.labelHeaderBroken(bytes) { return nil }
            return sealedReply(.errResp(ErrResp(error: error.description)), into: &out)
        }
        switch message {
        case .pushPull(let remote):
            let reply = sealedReply(.pushPull(localState(join: remote.join)), into: &out)
            mergeRemoteState(remote, source: source, now: now, into: &out)
            return reply
        case .user(let payload):
            deliverUserMessage(payload, from: source, reliable: true, into: &out)
            return nil
        case .ping(let ping):
            guard ping.node.isEmpty || ping.node == local.name else {
                refuse(.wrongNode, from: source, "stream ping for '\(ping.node)', this node is '\(local.name)'", into: &out)
                return nil
            }
            return sealedReply(.ackResp(AckResp(seqNo: ping.seqNo, payload: ackPayload)), into: &out)
        case .ackResp, .errResp:
            refuse(.unexpectedType, from: source, "a reply where a request was expected", into: &out)
            return nil
        }
    }

    /// The outcome of a stream the core asked for with ``MembershipOutput/openStream(_:)``. An id the core
    /// no longer waits for (its probe already ended) is ignored.
    public mutating func streamCompleted(
        _ id: StreamID, result: StreamResult, now: Instant, into out: inout [MembershipOutput]
    ) {
        guard let purpose = pendingStreams.removeValue(forKey: id) else { return }
        var reply: StreamMessage?
        var failure: JoinFailure?
        switch result {
        case .failed(let why):
            // The layer above accepted this message and hears of its loss: nothing else would tell it.
            if case .userMessage(let member) = purpose {
                out.append(.userMessageFailed(to: member, why))
                return
            }
            failure = .unreachable(why)
        case .reply(let bytes):
            // A reliable user message has no reply: nothing was received.
            if case .userMessage = purpose { return }
            metrics.received(.tcp, bytes: bytes.count)
            do {
                reply = try decodeStream(bytes, direction: .reply)
            } catch {
                refuse(error, from: purpose.address(in: table), into: &out)
                failure = .invalidReply(error.description)
            }
        }
        switch purpose {
        case .pushPull(let join, let seed):
            switch reply {
            case .pushPull(let remote)? where join && nameTaken(in: remote) != nil:
                // memberlist would only log the conflict and join anyway; the real member would then be
                // marked left when this one leaves. Refused before anything is merged.
                let twin = nameTaken(in: remote)!
                refuse(.addressConflict, from: seed, "joining: '\(local.name)' is already alive at \(twin)", into: &out)
                out.append(.joinCompleted(seed: seed, failure: .nameInUse(address: twin)))
            case .pushPull(let remote)?:
                let problem = mergeRemoteState(remote, source: seed, now: now, into: &out)
                if join { out.append(.joinCompleted(seed: seed, failure: problem.map(JoinFailure.incompatible))) }
            case .errResp(let error)?:
                refuse(.remoteError, from: seed, "push/pull answered: \(error.error)", into: &out)
                if join { out.append(.joinCompleted(seed: seed, failure: .remoteError(error.error))) }
            case .some:
                refuse(.unexpectedType, from: seed, "push/pull answered with another message", into: &out)
                if join { out.append(.joinCompleted(seed: seed, failure: .invalidReply("a message other than push/pull"))) }
            case nil:
                if join { out.append(.joinCompleted(seed: seed, failure: failure ?? .unreachable(.closed))) }
            }
        case .tcpPing(let seq, _):
            guard case .ackResp(let ack)? = reply else { return }
            guard ack.seqNo == seq, probe?.seqNo == seq else {
                refuse(.staleAck, from: purpose.address(in: table), "TCP ack for sequence \(ack.seqNo)", into: &out)
                return
            }
            probeSucceeded(now: now, direct: false, into: &out)
        case .userMessage:
            return
        }
    }

    /// Whether `bytes` start with a label header that is empty or cut short.
    static func labelHeaderBroken(_ bytes: [UInt8]) -> Bool {
        guard let scan = try? LabelHeader.scan(bytes) else { return true }
        return scan == .incomplete
    }

    /// Asks the driver to open a stream carrying `plain` (compressed and encrypted here as configured).
    @discardableResult
    mutating func openStream(_ message: StreamMessage, to address: SocketAddress, timeout: Duration, expectsReply: Bool,
                             purpose: PendingStream, into out: inout [MembershipOutput]) -> StreamID? {
        let sealed: [UInt8]
        do {
            // The label header leads what this node sends on a stream it opens, and nothing else.
            sealed = LabelHeader.wrap(try seal(message), label: labelPolicy.label)
        } catch {
            refuse(error, from: address, into: &out)
            return nil
        }
        nextStreamNumber += 1
        let id = StreamID(rawValue: nextStreamNumber)
        pendingStreams[id] = purpose
        metrics.sent(.tcp, bytes: sealed.count)
        out.append(.openStream(StreamRequest(id: id, to: address, request: sealed, timeout: timeout,
                                             expectsReply: expectsReply)))
        return id
    }

    /// Compresses and encrypts a stream message as configured, our label authenticated.
    mutating func seal(_ message: StreamMessage) throws(WireError) -> [UInt8] {
        let sealing = encryptOutgoing ? keyring : nil
        return try StreamFrame.encode(message, compress: config.compression, keyring: sealing,
                                      nonce: sealing == nil ? [] : nonce(), label: labelPolicy.label)
    }

    private mutating func sealedReply(_ message: StreamMessage, into out: inout [MembershipOutput]) -> [UInt8]? {
        do {
            let sealed = try seal(message)
            metrics.sent(.tcp, bytes: sealed.count)
            return sealed
        } catch {
            refuse(error, from: nil, into: &out)
            return nil
        }
    }

    // MARK: Push/pull

    /// Push/pull with each seed (memberlist `Join`); each answer comes back as
    /// ``MembershipOutput/joinCompleted(seed:error:)``.
    public mutating func join(_ seeds: [SocketAddress], now: Instant, into out: inout [MembershipOutput]) {
        guard !hasLeft else { return }
        for seed in seeds { startPushPull(with: seed, join: true, into: &out) }
    }

    mutating func periodicPushPull(now: Instant, into out: inout [MembershipOutput]) {
        let peers = table.randomMembers(1, random: &random) { $0.name != local.name && $0.state == .alive }
        guard let peer = peers.first else { return }
        startPushPull(with: peer.address, join: false, into: &out)
    }

    private mutating func startPushPull(with address: SocketAddress, join: Bool, into out: inout [MembershipOutput]) {
        openStream(.pushPull(localState(join: join)), to: address, timeout: config.tcpTimeout,
                   expectsReply: true, purpose: .pushPull(join: join, seed: address), into: &out)
    }

    /// Everything we know, dead members included, in probe order (memberlist `sendLocalState`).
    func localState(join: Bool) -> PushPull {
        let nodes = table.members.map { member in
            PushNodeState(
                name: member.name, addr: member.address.ip, port: member.address.port, meta: member.meta,
                incarnation: member.incarnation, state: PushNodeState.State(member.state), vsn: member.versions)
        }
        return PushPull(join: join, nodes: nodes, userState: [])
    }

    /// The address of a live member of this node's name at another address in `remote`, if any.
    func nameTaken(in remote: PushPull) -> SocketAddress? {
        for node in remote.nodes where node.name == local.name && node.state == .alive {
            if let address = SocketAddress(ip: node.addr, port: node.port), address != local.address { return address }
        }
        return nil
    }

    /// Checks versions, then merges a remote state (memberlist `mergeRemoteState`). Returns why it was
    /// refused, or nil.
    @discardableResult
    mutating func mergeRemoteState(_ remote: PushPull, source: SocketAddress, now: Instant,
                                   into out: inout [MembershipOutput]) -> String? {
        if let problem = verifyProtocol(remote.nodes) {
            refuse(.incompatibleVersion, from: source, "push/pull: \(problem)", into: &out)
            return problem
        }
        if let queryTime = SerfPushPullClocks.queryTime(in: remote.userState) {
            serfQueryTime = max(serfQueryTime ?? 0, queryTime)
        }
        for node in remote.nodes {
            switch node.state {
            case .alive:
                let alive = Alive(incarnation: node.incarnation, node: node.name, addr: node.addr, port: node.port,
                                  meta: node.meta, vsn: node.vsn)
                aliveNode(alive, source: source, bootstrap: false, now: now, into: &out)
            case .left:
                deadNode(Dead(incarnation: node.incarnation, node: node.name, from: node.name), now: now, into: &out)
            case .dead, .suspect:
                suspectNode(Suspect(incarnation: node.incarnation, node: node.name, from: local.name), now: now, into: &out)
            }
        }
        return nil
    }

    /// memberlist `verifyProtocol`: every alive node's current versions must lie in the range all alive
    /// nodes (theirs and ours) share.
    private func verifyProtocol(_ remote: [PushNodeState]) -> String? {
        var maxPMin: UInt8 = 0, minPMax: UInt8 = .max, maxDMin: UInt8 = 0, minDMax: UInt8 = .max
        func widen(_ vsn: Vsn) {
            maxPMin = max(maxPMin, vsn.protocolMin)
            minPMax = min(minPMax, vsn.protocolMax)
            maxDMin = max(maxDMin, vsn.delegateMin)
            minDMax = min(minDMax, vsn.delegateMax)
        }
        for node in remote where node.state == .alive && node.vsn != .absent { widen(node.vsn) }
        let localMembers = table.members
        for member in localMembers where member.state == .alive { widen(member.versions) }
        let all = remote.map { ($0.name, $0.vsn) } + localMembers.map { ($0.name, $0.versions) }
        for (name, vsn) in all {
            if vsn.protocolCurrent < maxPMin || vsn.protocolCurrent > minPMax {
                return "node '\(name)' protocol version (\(vsn.protocolCurrent)) is incompatible: [\(maxPMin), \(minPMax)]"
            }
            if vsn.delegateCurrent < maxDMin || vsn.delegateCurrent > minDMax {
                return "node '\(name)' delegate protocol version (\(vsn.delegateCurrent)) is incompatible: [\(maxDMin), \(minDMax)]"
            }
        }
        return nil
    }
}

/// How far the bytes read from a stream go.
public enum StreamFrameStatus: Sendable, Equatable {
    /// Keep reading.
    case needMore
    /// One whole message of this many bytes (the driver passes exactly these).
    case complete(length: Int)
    /// No continuation can make this valid; close the stream.
    case invalid(String)

    public init(_ progress: StreamFrameProgress) {
        switch progress {
        case .needMore: self = .needMore
        case .complete(let length): self = .complete(length: length)
        case .invalid(let error): self = .invalid(error.description)
        }
    }
}

extension PushNodeState.State {
    init(_ state: MemberState) {
        switch state {
        case .alive: self = .alive
        case .suspect: self = .suspect
        case .dead: self = .dead
        case .left: self = .left
        }
    }
}

extension PendingStream {
    func address(in table: MemberTable) -> SocketAddress? {
        switch self {
        case .pushPull(_, let seed): return seed
        case .tcpPing(_, let target), .userMessage(let target): return table[target]?.address
        }
    }
}
