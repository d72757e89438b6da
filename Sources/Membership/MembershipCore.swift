import CoreMetrics
import MemberlistWire
import ProtocolSupport

/// SWIM with Lifeguard and push/pull, as hashicorp/memberlist speaks it, as a state machine without I/O.
///
/// Drive it like this (one core per node, touched by one thread):
/// - every UDP datagram: ``receiveDatagram(_:from:now:into:)``;
/// - every inbound TCP stream, once ``streamFrameStatus(_:)`` says the request is complete:
///   ``receiveStream(_:from:now:into:)``, write the returned reply (if any) and close;
/// - every ``MembershipOutput/openStream(_:)``: connect, write, read the reply until ``streamFrameStatus(_:)``
///   says complete (or nothing, when `expectsReply` is false), then ``streamCompleted(_:result:now:into:)``
///   with the reply or the failure (refused, timed out after the request's `timeout`, closed);
/// - one timer: call ``handleTimeout(now:into:)`` once `now >= nextDeadline`, and re-arm it from
///   ``nextDeadline`` after every call into the core;
/// - commands: ``join(_:now:into:)``, ``leave(now:into:)``, ``updateMeta(_:now:into:)``,
///   ``sendUserMessage(to:_:reliable:now:into:)``, ``keyring``.
///
/// Outputs are appended to the caller's array in the order they happen. Same seed and same inputs give
/// the same outputs, byte for byte: the core reads no clock and draws only from its own `SeededRandom`.
public struct MembershipCore: Sendable {
    public let config: MembershipConfig
    /// ``MembershipConfig/label`` as the wire applies it, built once.
    let labelPolicy: LabelPolicy
    /// This node's name, address, metadata and versions as announced.
    public internal(set) var local: LocalNode
    /// The AES-GCM keyring; nil sends and accepts plaintext. Change keys in place (install a new key, make
    /// it primary, remove the old one) to rotate without restart.
    public var keyring: Keyring?
    /// The payload put in every ack we send (serf puts its network coordinate there); empty by default.
    public var ackPayload: [UInt8] = []

    var random: SeededRandom
    let metrics: MembershipMetrics
    var table = MemberTable()
    var awareness: Awareness
    var suspicions: [String: Suspicion] = [:]
    var broadcasts = BroadcastQueue()
    var incarnation: UInt32 = 0
    var sequence: UInt32 = 0
    var probeIndex = 0
    var probe: ProbeInFlight?
    var relays: [UInt32: IndirectRelay] = [:]
    var pendingStreams: [StreamID: PendingStream] = [:]
    var nextStreamNumber: UInt64 = 0
    var nextProbeAt: Instant
    var nextGossipAt: Instant
    var nextPushPullAt: Instant?
    var hasLeft = false
    var leaveDoneReported = false
    /// The highest serf Lamport time seen in serf intents, so our own leave intent is newer than any.
    var serfClock: UInt64 = 0
    /// The highest serf query Lamport time in a push/pull's serf state (`QueryLTime`), nil before any: a
    /// query this node starts must not be older than what serf agents have seen, or they drop it.
    public internal(set) var serfQueryTime: UInt64?

    /// Creates the core with the local node alive at incarnation 1, alone in its member table.
    ///
    /// - Parameters:
    ///   - seed: every random choice (probe order, gossip targets, stagger, nonces) derives from it.
    ///   - metrics: the factory every metric object is created from, once.
    ///   - incarnation: the incarnation to start at. A restarted node that remembers its last incarnation
    ///     passes a higher one so that its alive wins over the dead others remember at once.
    ///   - now: the driver's current time; the first probe, gossip and push/pull rounds are staggered
    ///     randomly within one interval from it, as memberlist does.
    public init(
        config: MembershipConfig, local: LocalNode, seed: UInt64, metrics factory: any MetricsFactory,
        keyring: Keyring? = nil, incarnation: UInt32 = 1, now: Instant
    ) throws(MembershipError) {
        guard !local.name.isEmpty, local.name.utf8.count <= 255 else { throw .invalidName(local.name) }
        guard local.meta.count <= MembershipConfig.metaMaxSize else { throw .metaTooLarge(size: local.meta.count) }
        do {
            self.labelPolicy = try LabelPolicy(label: Array(config.label.utf8), skipInboundCheck: config.skipInboundLabelCheck)
        } catch {
            throw .invalidLabel(config.label)
        }
        self.config = config
        self.local = local
        self.keyring = keyring
        self.random = SeededRandom(seed: seed)
        self.metrics = MembershipMetrics(factory: factory)
        self.awareness = Awareness(maxMultiplier: config.awarenessMaxMultiplier)
        func stagger(_ interval: Duration, _ random: inout SeededRandom) -> Instant {
            let ns = UInt64(max(1, interval.nanosecondsClamped))
            return now + .nanoseconds(Int64(random.next(upperBound: ns)))
        }
        // A zero interval disables the round, as in memberlist.
        nextProbeAt = config.probeInterval > .zero ? stagger(config.probeInterval, &random) : .never
        nextGossipAt = config.gossipInterval > .zero && config.gossipNodes > 0
            ? stagger(config.gossipInterval, &random) : .never
        nextPushPullAt = config.pushPullInterval > .zero ? stagger(config.pushPullInterval, &random) : nil
        self.incarnation = max(1, incarnation)
        table.insert(
            Member(
                name: local.name, address: local.address, meta: local.meta, incarnation: self.incarnation,
                state: .alive, stateChange: now, versions: local.versions),
            random: &random)
        metrics.setMembers(table.counts)
    }

    /// The metrics this core records, with HELP text and buckets.
    public static var descriptors: [MetricDescriptor] { MembershipMetrics.descriptors }

    // MARK: Read-only state

    /// Every member known, this node included, dead and left ones until they are reaped; in probe order.
    public var members: [Member] { table.members }

    /// The member of that name, if known.
    public func member(named name: String) -> Member? { table[name] }

    /// Members counted by state (this node included).
    public var counts: MemberCounts { table.counts }

    /// Lifeguard's awareness score: 0 healthy, up to `awarenessMaxMultiplier - 1`.
    public var healthScore: Int { awareness.score }

    /// This node's current incarnation.
    public var localIncarnation: UInt32 { incarnation }

    /// Whether ``leave(now:into:)`` was called.
    public var isLeft: Bool { hasLeft }

    /// Broadcasts waiting to be piggybacked (memberlist's `NumQueued`).
    public var queuedBroadcasts: Int { broadcasts.count }

    /// When the core next needs ``handleTimeout(now:into:)``; nil only when every round is disabled in the
    /// config (probing and gossip otherwise tick forever). The same type as every other core's deadline.
    public var nextDeadline: Instant? {
        let next = earliestDeadline
        return next == .never ? nil : next
    }

    private var earliestDeadline: Instant {
        var next = min(nextProbeAt, nextGossipAt)
        if let pushPull = nextPushPullAt { next = min(next, pushPull) }
        if let probe { next = min(next, probe.nextDeadline) }
        for relay in relays.values { next = min(next, relay.deadline) }
        for suspicion in suspicions.values { next = min(next, suspicion.deadline) }
        return next
    }

    // MARK: Timers

    /// Runs everything due at `now`: probe deadlines, indirect-probe nacks, suspicion timeouts, the probe,
    /// gossip and push/pull rounds. Call it when `now >= nextDeadline`; calling it early does nothing harmful.
    public mutating func handleTimeout(now: Instant, into out: inout [MembershipOutput]) {
        if let probe, probe.nextDeadline <= now { advanceProbe(now: now, into: &out) }
        expireRelays(now: now, into: &out)
        expireSuspicions(now: now, into: &out)
        if nextProbeAt <= now { probeRound(now: now, into: &out) }
        if nextGossipAt <= now {
            // A driver that falls behind skips the missed rounds instead of running them back to back.
            nextGossipAt = nextGossipAt + config.gossipInterval  // never reached when gossip is disabled
            if nextGossipAt <= now { nextGossipAt = now + config.gossipInterval }
            if !hasLeft || !broadcasts.isEmpty { gossip(now: now, into: &out) }
        }
        if let pushPull = nextPushPullAt, pushPull <= now {
            nextPushPullAt = now + MembershipMath.pushPullInterval(config.pushPullInterval, members: table.count)
            if !hasLeft { periodicPushPull(now: now, into: &out) }
        }
    }

    private mutating func expireRelays(now: Instant, into out: inout [MembershipOutput]) {
        let due = relays.filter { $0.value.deadline <= now }.keys.sorted()
        for seq in due {
            guard let relay = relays.removeValue(forKey: seq) else { continue }
            if relay.wantsNack {
                send(NackResp(seqNo: relay.originalSeqNo).encoded(), to: relay.replyTo, member: relay.requester,
                     now: now, into: &out)
            }
        }
    }

    private mutating func expireSuspicions(now: Instant, into out: inout [MembershipOutput]) {
        let due = suspicions.filter { $0.value.deadline <= now }
            .sorted { ($0.value.deadline, $0.key) < ($1.value.deadline, $1.key) }
        for (name, suspicion) in due {
            suspicions[name] = nil
            guard let member = table[name], member.state == .suspect, member.stateChange == suspicion.start
            else { continue }
            deadNode(Dead(incarnation: member.incarnation, node: name, from: local.name), now: now, into: &out)
        }
    }

    // MARK: Helpers shared by the extensions

    mutating func nextSequence() -> UInt32 {
        sequence &+= 1
        return sequence
    }

    mutating func refuse(_ reason: RefusalReason, from source: SocketAddress?, _ detail: String,
                         into out: inout [MembershipOutput]) {
        metrics.dropped(reason)
        out.append(.refused(Refusal(reason: reason, source: source, detail: detail)))
    }

    mutating func refuse(_ error: WireError, from source: SocketAddress?, into out: inout [MembershipOutput]) {
        let reason = RefusalReason(error.reason)
        metrics.dropped(reason)
        out.append(.refused(Refusal(reason: reason, source: source, detail: error.detail,
                                    remoteLabel: error.remoteLabel.map { String(decoding: $0, as: UTF8.self) })))
    }

    func localMember() -> Member? { table[local.name] }
}

/// A probe waiting for its ack (memberlist `probeNode`).
struct ProbeInFlight: Sendable {
    enum Phase: Sendable { case direct, indirect }
    var target: String
    var targetIncarnation: UInt32
    var seqNo: UInt32
    var start: Instant
    /// start + scaled probe timeout: when the indirect probes go out.
    var ackDeadline: Instant
    /// start + scaled probe interval: when the member becomes suspect without any ack.
    var deadline: Instant
    var phase: Phase = .direct
    var expectedNacks = 0
    var nacks = 0
    var tcpStream: StreamID?

    var nextDeadline: Instant { phase == .direct ? ackDeadline : deadline }
}

/// An indirect ping we forward for another member.
struct IndirectRelay: Sendable {
    var originalSeqNo: UInt32
    var replyTo: SocketAddress
    var requester: String
    var wantsNack: Bool
    var deadline: Instant
}

/// What an outbound stream was for.
enum PendingStream: Sendable {
    case pushPull(join: Bool, seed: SocketAddress)
    case tcpPing(seqNo: UInt32, target: String)
    case userMessage(to: String)
}

extension Instant {
    /// The end of the timeline: a deadline that never comes.
    static let never = Instant(nanoseconds: .max)
}
