import GossipNodeCore
import Membership
import Plumtree
import ProtocolSupport

/// A simulated gossip node: the node core that ships (``GossipNodeCore``), driven over the simulated
/// network. This type only translates: simulated packets and streams into the core's inputs, the core's
/// outputs into simulated network events and observations for the run's measures. Everything the node
/// decides (the tag check, routing, reconnecting to failed members) is the core's, exactly as in the
/// `gossip-node` binary.
///
/// With ``MembershipMode/swim`` the real membership core runs inside the node core. With
/// ``MembershipMode/oracle`` the simulation hands the node core membership instead (every node knows every
/// other from the start; the cluster reports crashes and partitions after a detection delay), which
/// isolates Plumtree's own behaviour and scales furthest.
public struct ClusterNode: SimulatedNode {
    public let id: NodeID
    public let membershipMode: MembershipMode
    var core: NodeCore
    let clusterSize: Int
    let restarts: Int
    var random: SeededRandom
    var outputs: [NodeOutput] = []
    /// Streams other nodes opened, by the id the core answers them under.
    var inbound: [UInt64: StreamHandle] = [:]
    var nextInbound: UInt64 = 0

    /// Members the oracle announces at start (nil: all).
    let oracleViewSize: Int?

    init(_ context: NodeContext, config: PlumtreeConfig, membership mode: MembershipMode,
         membershipConfig: MembershipConfig = .lan, reconnect: ReconnectConfig = ReconnectConfig(),
         checkInvariants: Bool = false, oracleViewSize: Int? = nil) {
        id = context.id
        self.oracleViewSize = oracleViewSize
        membershipMode = mode
        clusterSize = context.clusterSize
        restarts = context.restarts
        random = SeededRandom(seed: context.seed ^ 0x5EED_0F_C1A5)
        let source: MembershipSource = mode == .swim ? .swim(advertise: context.id.address) : .external(addressOf: { NodeID(name: $0)?.address })
        let nodeConfig = NodeCoreConfig(name: context.id.name, membershipSource: source, membership: membershipConfig,
                                        plumtree: config, reconnect: reconnect, checkInvariants: checkInvariants)
        do {
            core = try NodeCore(config: nodeConfig, seed: context.seed, metrics: context.metrics, now: context.now)
        } catch {
            // Names are "node-N" and there are no tags or keys: nothing here can be refused.
            preconditionFailure("simulated node \(context.id.name): \(error)")
        }
    }

    /// The metrics the node records.
    public static func descriptors(_ mode: MembershipMode) -> [MetricDescriptor] { NodeCore.descriptors }

    /// The node's overlay and Plumtree state.
    public var plumtreeSnapshot: PlumtreeSnapshot { core.plumtreeSnapshot }
    /// Every member the node knows, itself included (swim mode).
    var members: [Member] { core.members }
    /// Failed members the node still tries to reach again.
    public var reconnectTargets: [String] { core.reconnectTargets }
    /// A broken invariant of the node, if any.
    public var invariantViolation: String? { core.invariantViolation() }

    // MARK: Lifecycle

    public mutating func start(now: Instant, io: inout NodeIO) {
        guard membershipMode == .swim else {
            if let view = oracleViewSize, view < clusterSize - 1 {
                var chosen: Set<Int> = []
                var order: [Int] = []
                while order.count < view {
                    let index = Int(random.next() % UInt64(clusterSize))
                    if index != id.index, chosen.insert(index).inserted { order.append(index) }
                }
                for index in order { core.externalMember(NodeID(index).name, up: true, now: now, into: &outputs) }
            } else {
                for index in 0..<clusterSize where index != id.index {
                    core.externalMember(NodeID(index).name, up: true, now: now, into: &outputs)
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
        core.join(seeds, now: now, into: &outputs)
        flush(now: now, io: &io)
    }

    public mutating func leave(now: Instant, io: inout NodeIO) {
        core.leave(now: now, into: &outputs)
        flush(now: now, io: &io)
    }

    // MARK: Commands

    /// Broadcasts a payload carrying `key` (see ``BroadcastPayload``).
    public mutating func broadcast(key: UInt64, size: Int, now: Instant, io: inout NodeIO) throws(PlumtreeBroadcastError) {
        try broadcast(BroadcastPayload.make(key: key, size: size), key: key, now: now, io: &io)
    }

    /// Broadcasts an application's payload, `key` before it.
    public mutating func broadcast(key: UInt64, payload: [UInt8], now: Instant, io: inout NodeIO) throws(PlumtreeBroadcastError) {
        try broadcast(BroadcastPayload.wrap(payload, key: key), key: key, now: now, io: &io)
    }

    private mutating func broadcast(_ payload: [UInt8], key: UInt64, now: Instant, io: inout NodeIO) throws(PlumtreeBroadcastError) {
        _ = try core.broadcast(payload, now: now, into: &outputs)
        io.observe(.originated(message: key, bytes: payload.count))
        flush(now: now, io: &io)
    }

    /// The oracle reports `member` up or down (oracle mode).
    public mutating func member(_ member: NodeID, up: Bool, now: Instant, io: inout NodeIO) {
        core.externalMember(member.name, up: up, now: now, into: &outputs)
        io.observe(.memberState(member: member, state: up ? .alive : .dead))
        flush(now: now, io: &io)
    }

    // MARK: Inputs

    public mutating func receiveDatagram(_ bytes: [UInt8], from: NodeID, now: Instant, io: inout NodeIO) {
        core.receiveDatagram(bytes, from: from.address, now: now, into: &outputs)
        flush(now: now, io: &io)
    }

    public mutating func receiveStream(_ bytes: [UInt8], stream: StreamHandle, now: Instant, io: inout NodeIO) {
        nextInbound += 1
        inbound[nextInbound] = stream
        core.receiveStream(bytes, from: stream.opener.address, stream: InboundStreamID(rawValue: nextInbound), now: now,
                           into: &outputs)
        flush(now: now, io: &io)
    }

    public mutating func receiveStreamReply(_ bytes: [UInt8], token: UInt64, from: NodeID, now: Instant, io: inout NodeIO) {
        core.streamCompleted(StreamID(rawValue: token), result: .reply(bytes), now: now, into: &outputs)
        flush(now: now, io: &io)
    }

    public mutating func streamFailed(token: UInt64, to: NodeID, reason: StreamFailureReason, now: Instant, io: inout NodeIO) {
        let failure: StreamFailure = reason == .refused ? .refused : .timedOut
        core.streamCompleted(StreamID(rawValue: token), result: .failed(failure), now: now, into: &outputs)
        flush(now: now, io: &io)
    }

    public var nextDeadline: Instant? { core.nextDeadline }

    public mutating func handleTimeout(now: Instant, io: inout NodeIO) {
        core.handleTimeout(now: now, into: &outputs)
        flush(now: now, io: &io)
    }

    // MARK: Outputs

    /// Turns the core's outputs into simulated network events and observations.
    mutating func flush(now: Instant, io: inout NodeIO) {
        var unresolved: [(host: String, port: UInt16)] = []
        for output in outputs {
            switch output {
            case .sendDatagram(let to, let bytes):
                guard let peer = NodeID(address: to) else { continue }
                io.send(bytes, to: peer)
            case .openStream(let request):
                guard let peer = NodeID(address: request.to) else { continue }
                io.openStream(to: peer, token: request.id.rawValue, bytes: request.request,
                              expectsReply: request.expectsReply, timeout: request.timeout)
            case .answerStream(let stream, let reply):
                guard let handle = inbound.removeValue(forKey: stream.rawValue) else { continue }
                if let reply { io.reply(to: handle, bytes: reply) }
            case .deliver(let message):
                if let key = BroadcastPayload.key(of: message.payload) {
                    io.observe(.delivered(message: key, hops: message.hops))
                    if io.wantsApplicationDeliveries {
                        io.deliverToApplication(NodeIO.ApplicationDelivery(
                            key: key, origin: NodeID(name: message.origin), payload: BroadcastPayload.body(of: message.payload),
                            hops: message.hops))
                    }
                }
            case .member(let event):
                observe(event, io: &io)
            case .resolveSeed(let host, let port):
                unresolved.append((host, port))
            case .graft, .refused, .leaveDone, .joinCompleted, .reconnect, .partitionSuspected, .keyringChanged, .keyringReport,
                 .plumtreeVersionMismatch, .tree:
                // Counted by the cores' metrics, which reach the run's report.
                break
            }
        }
        outputs.removeAll(keepingCapacity: true)
        // The simulated network routes on addresses and has no names: a seed given by name is answered
        // at once as not found, in words that say why, as a resolver would answer an unknown name.
        guard !unresolved.isEmpty else { return }
        for (host, port) in unresolved {
            let failure = SeedResolutionFailure(
                reason: .notFound, detail: "the simulated network has no host names; give simulated nodes seeds by address")
            core.seedResolved(host: host, port: port, result: .failure(failure), now: now, into: &outputs)
        }
        flush(now: now, io: &io)
    }

    private func observe(_ event: MemberEvent, io: inout NodeIO) {
        let (member, state): (Member, ObservedMemberState?) = switch event {
        case .joined(let m), .recovered(let m), .updated(let m): (m, .alive)
        case .suspect(let m): (m, .suspect)
        case .failed(let m): (m, .dead)
        case .left(let m): (m, .left)
        case .reaped(let m): (m, nil)
        }
        guard member.name != id.name, let state, let node = NodeID(name: member.name) else { return }
        io.observe(.memberState(member: node, state: state))
    }
}
