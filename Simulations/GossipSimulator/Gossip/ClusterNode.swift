import Membership
import Plumtree
import ProtocolSupport

/// A simulated gossip node: the real Plumtree core over the simulated network, and with
/// ``MembershipMode/swim`` the real membership core underneath it, wired as the node binary wires them:
/// Plumtree's messages ride as memberlist user messages (over a stream when too large for a datagram),
/// and the overlay is fed from membership's member events.
///
/// With ``MembershipMode/oracle`` the simulation hands it membership instead (every node knows every other
/// from the start; the cluster reports crashes and partitions after a detection delay), which isolates
/// Plumtree's own behaviour and scales furthest.
public struct ClusterNode: SimulatedNode {
    public let id: NodeID
    public let membershipMode: MembershipMode
    public private(set) var plumtree: PlumtreeCore
    /// The membership core (swim mode only).
    public private(set) var membership: MembershipCore?
    let clusterSize: Int
    let restarts: Int
    var random: SeededRandom
    var plumtreeOut: [PlumtreeOutput] = []
    var membershipOut: [MembershipOutput] = []
    var streamToken: UInt64 = 1 << 40
    /// Failed members and when to try them next: serf's reconnect, which memberlist alone lacks, so that
    /// two sides of a healed partition find each other again after reaping each other.
    var reconnect: [String: SocketAddress] = [:]
    var nextReconnect: Instant
    static let reconnectInterval: Duration = .seconds(30)

    /// Members the oracle announces at start (nil: all).
    let oracleViewSize: Int?

    public init(_ context: NodeContext, config: PlumtreeConfig, membership mode: MembershipMode, membershipConfig: MembershipConfig = .lan,
                oracleViewSize: Int? = nil) {
        id = context.id
        self.oracleViewSize = oracleViewSize
        membershipMode = mode
        clusterSize = context.clusterSize
        restarts = context.restarts
        random = SeededRandom(seed: context.seed ^ 0x5EED_0F_C1A5)
        nextReconnect = context.now + Self.reconnectInterval
        plumtree = PlumtreeCore(config: config, localID: context.id.name, seed: context.seed, metrics: context.metrics, now: context.now)
        if mode == .swim {
            membership = try? MembershipCore(
                config: membershipConfig, local: LocalNode(name: context.id.name, address: context.id.address),
                seed: context.seed &* 0x9E37_79B9_7F4A_7C15, metrics: context.metrics, now: context.now)
        }
    }

    /// The metrics the node's cores declare.
    public static func descriptors(_ mode: MembershipMode) -> [MetricDescriptor] {
        mode == .swim ? PlumtreeCore.descriptors + MembershipCore.descriptors : PlumtreeCore.descriptors
    }

    // MARK: Lifecycle

    public mutating func start(now: Instant, io: inout NodeIO) {
        guard membership != nil else {
            if let view = oracleViewSize, view < clusterSize - 1 {
                var chosen: Set<Int> = []
                var order: [Int] = []
                while order.count < view {
                    let index = Int(random.next() % UInt64(clusterSize))
                    if index != id.index, chosen.insert(index).inserted { order.append(index) }
                }
                for index in order { plumtree.memberUp(NodeID(index).name, advertisesPlumtree: true, now: now, into: &plumtreeOut) }
            } else {
                for index in 0..<clusterSize where index != id.index {
                    plumtree.memberUp(NodeID(index).name, advertisesPlumtree: true, now: now, into: &plumtreeOut)
                }
            }
            flush(now: now, io: &io)
            return
        }
        // Join through up to three seeds: the first nodes on a first start, random ones on a restart
        // (the first nodes may be the ones that crashed).
        var seeds: [SocketAddress] = []
        for attempt in 0..<8 where seeds.count < 3 && clusterSize > 1 {
            let index = restarts == 0 ? attempt : Int(random.next() % UInt64(clusterSize))
            guard index < clusterSize, index != id.index else { continue }
            let address = NodeID(index).address
            if !seeds.contains(address) { seeds.append(address) }
        }
        if !seeds.isEmpty { membership!.join(seeds, now: now, into: &membershipOut) }
        flush(now: now, io: &io)
    }

    public mutating func leave(now: Instant, io: inout NodeIO) {
        membership?.leave(now: now, into: &membershipOut)
        flush(now: now, io: &io)
    }

    // MARK: Commands

    /// Broadcasts a payload carrying `key` (see ``BroadcastPayload``).
    public mutating func broadcast(key: UInt64, size: Int, now: Instant, io: inout NodeIO) throws(PlumtreeBroadcastError) {
        let payload = BroadcastPayload.make(key: key, size: size)
        try plumtree.broadcast(payload, now: now, into: &plumtreeOut)
        io.observe(.originated(message: key, bytes: payload.count))
        flush(now: now, io: &io)
    }

    /// The oracle reports `member` up or down (oracle mode).
    public mutating func member(_ member: NodeID, up: Bool, now: Instant, io: inout NodeIO) {
        if up {
            plumtree.memberUp(member.name, advertisesPlumtree: true, now: now, into: &plumtreeOut)
            io.observe(.memberState(member: member, state: .alive))
        } else {
            plumtree.memberDown(member.name, now: now, into: &plumtreeOut)
            io.observe(.memberState(member: member, state: .dead))
        }
        flush(now: now, io: &io)
    }

    // MARK: Inputs

    public mutating func receiveDatagram(_ bytes: [UInt8], from: NodeID, now: Instant, io: inout NodeIO) {
        if membership != nil {
            membership!.receiveDatagram(bytes, from: from.address, now: now, into: &membershipOut)
        } else {
            // A refusal is counted by the core under its reason; nothing else to do here.
            try? plumtree.receive(envelope: bytes, now: now, into: &plumtreeOut)
        }
        flush(now: now, io: &io)
    }

    public mutating func receiveStream(_ bytes: [UInt8], stream: StreamHandle, now: Instant, io: inout NodeIO) {
        if membership != nil {
            if let reply = membership!.receiveStream(bytes, from: stream.opener.address, now: now, into: &membershipOut) {
                io.reply(to: stream, bytes: reply)
            }
        } else {
            try? plumtree.receive(envelope: bytes, now: now, into: &plumtreeOut)
        }
        flush(now: now, io: &io)
    }

    public mutating func receiveStreamReply(_ bytes: [UInt8], token: UInt64, from: NodeID, now: Instant, io: inout NodeIO) {
        guard membership != nil, token < 1 << 40 else { return }
        membership!.streamCompleted(Membership.StreamID(rawValue: token), result: .reply(bytes), now: now, into: &membershipOut)
        flush(now: now, io: &io)
    }

    public mutating func streamFailed(token: UInt64, to: NodeID, reason: StreamFailureReason, now: Instant, io: inout NodeIO) {
        guard membership != nil, token < 1 << 40 else { return }
        let failure: StreamFailure = reason == .refused ? .refused : .timedOut
        membership!.streamCompleted(Membership.StreamID(rawValue: token), result: .failed(failure), now: now, into: &membershipOut)
        flush(now: now, io: &io)
    }

    public var nextDeadline: Instant? {
        // Optional chaining reads the membership core in place; binding it with `guard let` would copy it.
        guard let next = membership?.nextDeadline else { return plumtree.nextDeadline }
        var earliest = next
        if let p = plumtree.nextDeadline, p < earliest { earliest = p }
        if !reconnect.isEmpty, nextReconnect < earliest { earliest = nextReconnect }
        return earliest
    }

    public mutating func handleTimeout(now: Instant, io: inout NodeIO) {
        if let deadline = plumtree.nextDeadline, deadline <= now { plumtree.handleTimeout(now: now, into: &plumtreeOut) }
        if membership != nil {
            if membership!.nextDeadline <= now { membership!.handleTimeout(now: now, into: &membershipOut) }
            if nextReconnect <= now {
                nextReconnect = now + Self.reconnectInterval
                // One failed member per round, chosen at random among them in name order.
                let names = reconnect.keys.sorted()
                if !names.isEmpty, !membership!.isLeft {
                    let name = names[Int(random.next() % UInt64(names.count))]
                    membership!.join([reconnect[name]!], now: now, into: &membershipOut)
                }
            }
        }
        flush(now: now, io: &io)
    }

    // MARK: Wiring

    /// Moves outputs between the cores and out to the network until both are drained: a member event
    /// makes Plumtree send, a Plumtree send becomes a membership user message, and so on.
    mutating func flush(now: Instant, io: inout NodeIO) {
        while !plumtreeOut.isEmpty || !membershipOut.isEmpty {
            // Each batch is moved out rather than copied (a copy would make the core's next append
            // allocate a fresh buffer), and its buffer comes back afterwards with its capacity.
            if !plumtreeOut.isEmpty {
                var batch = plumtreeOut
                plumtreeOut = []
                for item in batch { handle(item, now: now, io: &io) }
                batch.removeAll(keepingCapacity: true)
                if plumtreeOut.isEmpty { plumtreeOut = batch }
            }
            if !membershipOut.isEmpty {
                var batch = membershipOut
                membershipOut = []
                for item in batch { handle(item, now: now, io: &io) }
                batch.removeAll(keepingCapacity: true)
                if membershipOut.isEmpty { membershipOut = batch }
            }
        }
    }

    mutating func handle(_ item: PlumtreeOutput, now: Instant, io: inout NodeIO) {
        switch item {
        case .send(let to, let bytes, let preferReliable):
            guard let peer = NodeID(name: to) else { return }
            if membership != nil {
                // A member membership no longer knows is simply not sent to; Plumtree hears of it shortly.
                try? membership!.sendUserMessage(to: to, bytes, reliable: preferReliable, now: now, into: &membershipOut)
            } else if preferReliable {
                streamToken &+= 1
                io.openStream(to: peer, token: streamToken, bytes: bytes, expectsReply: false)
            } else {
                io.send(bytes, to: peer)
            }
        case .deliver(let message):
            if let key = BroadcastPayload.key(of: message.payload) {
                io.observe(.delivered(message: key, hops: message.hops))
            }
        case .graft:
            // Graft counts and latency reach the run's report through the core's metrics.
            break
        }
    }

    mutating func handle(_ item: MembershipOutput, now: Instant, io: inout NodeIO) {
        switch item {
        case .sendDatagram(let to, let bytes):
            guard let peer = NodeID(address: to) else { return }
            io.send(bytes, to: peer)
        case .openStream(let request):
            guard let peer = NodeID(address: request.to) else { return }
            io.openStream(to: peer, token: request.id.rawValue, bytes: request.request, expectsReply: request.expectsReply, timeout: request.timeout)
        case .event(let event):
            memberEvent(event, now: now, io: &io)
        case .userMessage(let message):
            guard PlumtreeEnvelope.isPlumtree(message.bytes) else { return }
            try? plumtree.receive(envelope: message.bytes, now: now, into: &plumtreeOut)
        case .refused, .leaveBroadcastDone, .joinCompleted:
            break
        }
    }

    mutating func memberEvent(_ event: MemberEvent, now: Instant, io: inout NodeIO) {
        switch event {
        case .joined(let member), .recovered(let member):
            guard member.name != id.name else { return }
            reconnect[member.name] = nil
            plumtree.memberUp(member.name, advertisesPlumtree: true, now: now, into: &plumtreeOut)
            if let node = NodeID(name: member.name) { io.observe(.memberState(member: node, state: .alive)) }
        case .suspect(let member):
            if let node = NodeID(name: member.name) { io.observe(.memberState(member: node, state: .suspect)) }
        case .failed(let member):
            guard member.name != id.name else { return }
            reconnect[member.name] = member.address
            plumtree.memberDown(member.name, now: now, into: &plumtreeOut)
            if let node = NodeID(name: member.name) { io.observe(.memberState(member: node, state: .dead)) }
        case .left(let member):
            guard member.name != id.name else { return }
            reconnect[member.name] = nil
            plumtree.memberDown(member.name, now: now, into: &plumtreeOut)
            if let node = NodeID(name: member.name) { io.observe(.memberState(member: node, state: .left)) }
        case .updated, .reaped:
            break
        }
    }
}
