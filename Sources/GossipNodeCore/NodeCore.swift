import CoreMetrics
import MemberlistWire
import Membership
import Plumtree
import ProtocolSupport

/// One gossip node without I/O: the membership core, the Plumtree core, and everything between them.
///
/// This is the node that ships, and the node the simulator runs. The real driver (`NodeEngine`, on libuv)
/// and the simulated one both feed it inputs with the current time and carry out its ``NodeOutput``s; what
/// happens between the two protocol cores is decided here and only here:
/// - member events drive Plumtree's overlay, and only members whose `plumtree` tag is present become
///   overlay peers;
/// - memberlist user messages that carry Plumtree's marker go to Plumtree; Plumtree's sends become
///   memberlist user messages (a datagram, or a stream when large);
/// - failed members and the join seeds are retried (``Reconnector``), so a split cluster heals;
/// - a stream another node opened gets exactly one answer.
///
/// Inputs are methods; every one ends by draining both cores' outputs until neither has any left, in one
/// order: membership's, then Plumtree's. The buffers are reused between inputs.
package struct NodeCore {
    package let config: NodeCoreConfig
    var membership: MembershipCore?
    var plumtree: PlumtreeCore
    var reconnector: Reconnector
    /// Watches failures for many at once (a suspected partition).
    var partitions = PartitionDetector()
    var random: SeededRandom
    let metrics: NodeCoreMetrics
    /// Joins the application asked for, by seed address, so their outcome reaches it and nothing else does.
    var requestedJoins: [SocketAddress: Int] = [:]
    /// Joins and retries of seeds given by name, from their lookup to one outcome per name.
    var nameJoins = SeedNameJoins()
    /// Stream ids of Plumtree's own streams under external membership; far above membership's ids.
    var nextExternalStream: UInt64 = 1 << 62
    /// One-way streams in flight, for the broadcast backlog limit.
    var outboundStreams = OutboundStreamLedger()
    var membershipOut: [MembershipOutput] = []
    var plumtreeOut: [PlumtreeOutput] = []
    /// Members running Plumtree in versions this node does not speak, with the versions they announce.
    package internal(set) var incompatibleMembers: [String: String] = [:]
    /// serf queries seen, so each is answered and gossiped on once.
    var serfQueries = SerfQueryLog()
    /// This node's keyring operations waiting for answers, by query id.
    var keyringOperations: [UInt32: PendingKeyringOperation] = [:]
    /// Every member's incarnation at the last invariant check, to see that none went down (checks only).
    var checkedIncarnations: [String: UInt32] = [:]

    /// - Parameters:
    ///   - seed: every random choice of the node derives from it.
    ///   - metrics: every metric of both cores and of the node is created from it, once.
    ///   - incarnation: for a restarted node that remembers its last incarnation.
    package init(config: NodeCoreConfig, seed: UInt64, metrics factory: any MetricsFactory,
                 incarnation: UInt32 = 1, now: Instant) throws(NodeCoreError) {
        self.config = config
        guard PlumtreeVersions.known.contains(config.plumtree.protocolVersions.lowerBound),
              PlumtreeVersions.known.contains(config.plumtree.protocolVersions.upperBound)
        else { throw .unsupportedPlumtreeVersions(config.plumtree.protocolVersions) }
        var random = SeededRandom(seed: seed)
        self.metrics = NodeCoreMetrics(factory: factory)
        var reconnect = config.reconnect
        // An attempt ends with its push/pull's TCP timeout; waiting less would overlap attempts.
        reconnect.attemptTimeout = max(reconnect.attemptTimeout, config.membership.tcpTimeout + .seconds(1))
        self.reconnector = Reconnector(config: reconnect, now: now)
        if case .swim(let advertise) = config.membershipSource {
            var tags = config.tags
            tags[PlumtreeTag.key] = PlumtreeTag.value(config.plumtree.protocolVersions)
            let meta = SerfTags.encodeUnchecked(tags)
            guard meta.count <= SerfTags.maxMetaSize else { throw .tagsTooLarge(size: meta.count) }
            var keyring: Keyring?
            if let primary = config.encryptionKeys.first {
                do {
                    keyring = try Keyring(primaryKey: primary, otherKeys: Array(config.encryptionKeys.dropFirst()))
                } catch {
                    throw .invalidKey("\(error)")
                }
            }
            do {
                membership = try MembershipCore(
                    config: config.membership, local: LocalNode(name: config.name, address: advertise, meta: meta),
                    seed: random.next(), metrics: factory, keyring: keyring, incarnation: incarnation, now: now)
            } catch {
                switch error {
                case .metaTooLarge(let size): throw .tagsTooLarge(size: size)
                case .invalidLabel(let label): throw .invalidLabel(label)
                default: throw .invalidName(config.name)
                }
            }
        } else {
            guard !config.name.isEmpty, config.name.utf8.count <= 255 else { throw .invalidName(config.name) }
        }
        plumtree = PlumtreeCore(config: config.plumtree, localID: config.name, seed: random.next(),
                                metrics: factory, now: now)
        self.random = random.split()
    }

    /// The metrics both cores and the node record.
    package static var descriptors: [MetricDescriptor] {
        PlumtreeCore.descriptors + MembershipCore.descriptors + NodeCoreMetrics.descriptors
    }

    // MARK: Read-only views

    package var name: String { config.name }
    /// Every member this node knows, itself included (empty under external membership).
    package var members: [Member] { membership?.members ?? [] }
    package func member(named name: String) -> Member? { membership?.member(named: name) }
    package var memberCounts: MemberCounts { membership?.counts ?? MemberCounts() }
    /// Lifeguard's awareness score (0 when healthy).
    package var healthScore: Int { membership?.healthScore ?? 0 }
    package var isLeft: Bool { membership?.isLeft ?? false }
    package var localIncarnation: UInt32 { membership?.localIncarnation ?? 0 }
    /// The keys of the keyring, primary first (empty without encryption).
    package var keyringKeys: [[UInt8]] { membership?.keyring?.keys ?? [] }
    package var plumtreeSnapshot: PlumtreeSnapshot { plumtree.snapshot }
    /// The address this node announces (nil under external membership).
    package var advertisedAddress: SocketAddress? { membership?.local.address }
    /// Failed members the node still tries to reach, in name order.
    package var reconnectTargets: [String] { reconnector.failed.keys.sorted() }

    /// An assembler for one stream, with this node's keyring settings: the driver feeds it every read, and
    /// it says when a whole message has arrived (each byte looked at a bounded number of times). A request
    /// (a stream a peer opened) may lead with the cluster label header; a reply never does.
    package func makeStreamFrameAssembler(direction: StreamDirection = .request) -> StreamFrameAssembler {
        membership?.makeStreamFrameAssembler(direction: direction)
            ?? StreamFrameAssembler(hasKeyring: false, verifyIncoming: false, direction: direction)
    }

    /// How far the bytes read from a stream go: the driver reads until a whole message has arrived.
    package func streamFrameStatus(_ bytes: [UInt8], direction: StreamDirection = .request) -> StreamFrameStatus {
        guard let membership else {
            // External membership: a stream carries one Plumtree envelope and ends with the connection.
            return .needMore
        }
        return membership.streamFrameStatus(bytes, direction: direction)
    }

    /// When the node next needs ``handleTimeout(now:into:)``; nil when it waits for input only.
    package var nextDeadline: Instant? {
        var next = plumtree.nextDeadline
        if let membershipNext = membership?.nextDeadline { next = min(next ?? membershipNext, membershipNext) }
        // After a leave nothing is retried, so the schedule must not wake the node either (a deadline that
        // handleTimeout does not move would spin the driver).
        if let keyringNext = nextKeyringDeadline { next = min(next ?? keyringNext, keyringNext) }
        if membership != nil, !isLeft, let reconnectNext = reconnector.nextDeadline(alone: isAlone) {
            next = min(next ?? reconnectNext, reconnectNext)
        }
        return next
    }

    /// Whether the node knows no live member but itself.
    var isAlone: Bool {
        guard let membership else { return false }
        return membership.counts.live <= 1
    }
}
