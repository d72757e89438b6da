import CoreMetrics
import ProtocolSupport

/// The Plumtree broadcast protocol as a state machine that does no I/O.
///
/// Every input is a method call carrying the current time; outputs (sends and deliveries) are appended to
/// a buffer the caller owns. The driver calls ``handleTimeout(now:into:)`` once `now >= nextDeadline`.
///
/// ```swift
/// var core = PlumtreeCore(config: .init(), localID: "node-1", seed: 42, metrics: factory, now: t0)
/// core.memberUp("node-2", advertisesPlumtree: true, now: t, into: &out)
/// let id = try core.broadcast(payload, now: t, into: &out)
/// core.receive(envelope: bytes, now: t, into: &out)
/// ```
///
/// The protocol follows Leitão, Pereira and Rodrigues, "Epidemic Broadcast Trees" (SRDS 2007, with the
/// 2019 correction of Algorithm 1), over an overlay chosen from membership (see docs/PROTOCOL.md), with
/// periodic anti-entropy so that partitions heal.
public struct PlumtreeCore {
    /// This node's name, as membership knows it.
    public let localID: String
    public let config: PlumtreeConfig

    var random: SeededRandom
    let metrics: PlumtreeMetrics
    /// The envelope header every send starts with: marker, version, this node's name.
    let header: [UInt8]
    let limits: PlumtreeDecodeLimits

    /// Everything known about a peer, by slot; slots of forgotten peers are reused.
    var peers: [PeerRecord] = []
    var slotByName: PeerNameIndex
    var freeSlots: [Int] = []
    /// The overlay: eager and lazy neighbours, in the order they took that role.
    var eager: [Int] = []
    var lazy: [Int] = []
    /// Members that advertise Plumtree, in the order membership reported them.
    var members: [Int] = []
    /// Neighbours added since the last announcement round, and when that round is due.
    var pendingAnnouncements: [Int] = []
    var announceNeighboursAt: Instant?

    var cache: MessageCache
    var seen: SeenSet
    var missing: [MessageID: MissingMessage] = [:]
    var graftTimers = DeadlineHeap()
    var pruneArbiter = PruneArbiter()

    /// Announcements queued across all peers, and when they must go out at the latest.
    var ihaveQueued = 0
    var ihaveFlushAt: Instant?

    var nextAntiEntropyAt: Instant
    /// The anti-entropy interval now: the base one, doubled after every idle round up to the cap.
    var antiEntropyCurrentInterval: Duration
    /// Whether anti-entropy found work since the last digest: a Pull received, or one sent.
    var antiEntropyFoundWork = false
    /// Messages whose Grafts all failed, oldest first, each until it could no longer be in any cache:
    /// anti-entropy pulls them from a random member every round until they arrive.
    var antiEntropyWanted: [(id: MessageID, until: Instant)] = []
    /// The tree optimization swaps at most one parent per cooldown.
    var nextOptimizationAt = Instant.zero
    /// The swaps the tree optimization is collecting confirmations for, at most
    /// ``OptimizationCandidate/maxTracked``.
    var optimizationCandidates: [OptimizationCandidate] = []
    /// Anti-entropy walks the cache by sequence number, a window per exchange.
    var antiEntropyCursor: UInt64 = 0
    /// Members that came up, each with the end of the cache when it did: walked back through the cache from
    /// there once everything before it is old enough to offer (``PlumtreeCore/offerCatchUp(now:into:)``).
    var catchUp: [(name: String, from: UInt64)] = []
    /// Tree queries this node sent, waiting for reports, by id.
    var treeRequests: [UInt32: TreeRequest] = [:]

    var counters = Counters()

    struct Counters {
        var graftSuccesses: UInt64 = 0
        var graftFailures: UInt64 = 0
        var graftsSent: UInt64 = 0
        var delivered: UInt64 = 0
        var duplicates: UInt64 = 0
        var payloadsReceived: UInt64 = 0
        var refused: UInt64 = 0
        var repairDeliveries: UInt64 = 0
        var cacheEvictions: UInt64 = 0
    }

    /// Creates a core for `localID`.
    ///
    /// - Parameters:
    ///   - config: tuning; the same on every node.
    ///   - localID: this node's name (1...255 UTF-8 bytes; longer names are cut at a character boundary).
    ///   - seed: seeds every random choice (message ids, neighbours, anti-entropy partners). Mixed with
    ///     `localID`, so nodes handed one seed still differ. Give a fresh seed on every start.
    ///   - metrics: the factory every metric object is created from, once.
    ///   - now: the current time.
    public init(config: PlumtreeConfig, localID: String, seed: UInt64, metrics factory: MetricsFactory, now: Instant) {
        var name = localID
        while name.utf8.count > PlumtreeMessage.maxNameBytes { name.removeLast() }
        if name.isEmpty { name = "?" }
        self.localID = name
        self.config = config
        var nameHash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in name.utf8 { nameHash = (nameHash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        self.random = SeededRandom(seed: seed ^ nameHash)
        // The hash tables' secrets come from a stream of their own, so that they draw nothing from `random`.
        var tableKeys = SeededRandom(seed: (seed ^ nameHash) &+ 0x7AB1_E5EE_D0F5_A17E)
        let idKey = (tableKeys.next(), tableKeys.next())
        self.slotByName = PeerNameIndex(hashKey: tableKeys.next())
        self.metrics = PlumtreeMetrics(factory: factory)
        var header = PlumtreeEnvelope.header(sender: name) ?? [PlumtreeEnvelope.marker, PlumtreeEnvelope.version, 1, 0x3f]
        // Written with the highest version spoken; a send to a peer that speaks a lower one rewrites the byte.
        header[1] = config.protocolVersions.upperBound
        self.header = header
        self.limits = PlumtreeDecodeLimits(config)
        self.cache = MessageCache(capacity: config.messageCacheMaxSize, maxBytes: config.messageCacheMaxBytes, ttl: config.messageCacheTTL, hashKey: idKey)
        self.seen = SeenSet(capacity: max(config.seenMaxSize, config.messageCacheMaxSize), ttl: config.effectiveSeenTTL, hashKey: idKey)
        self.nextAntiEntropyAt = now + config.antiEntropyInterval
        self.antiEntropyCurrentInterval = config.antiEntropyInterval
        metrics.cacheCapacity.record(cache.capacity)
        metrics.cacheSize.record(0)
        metrics.cacheMaxBytes.record(cache.maxBytes)
        metrics.cacheBytes.record(0)
        metrics.eagerPeers.record(0)
        metrics.lazyPeers.record(0)
        metrics.totalPeers.record(0)
        metrics.ihaveQueueSize.record(0)
        metrics.pendingGrafts.record(0)
    }

    /// When the driver must call ``handleTimeout(now:into:)`` next.
    public var nextDeadline: Instant? {
        var deadline = nextAntiEntropyAt
        if let at = announceNeighboursAt, at < deadline { deadline = at }
        if let at = ihaveFlushAt, at < deadline { deadline = at }
        if let at = graftTimers.min, at < deadline { deadline = at }
        if let at = pruneArbiter.nextDecision, at < deadline { deadline = at }
        if let at = cache.nextExpiry, at < deadline { deadline = at }
        if let at = seen.nextExpiry, at < deadline { deadline = at }
        if let at = nextTreeDeadline, at < deadline { deadline = at }
        return deadline
    }

    /// Broadcasts `payload` to every node; returns its id.
    ///
    /// The payload goes to eager neighbours at once and is announced to lazy ones; it stays in the cache for
    /// Grafts and anti-entropy. The node does not deliver its own broadcast to itself.
    /// - Throws: ``PlumtreeBroadcastError/payloadTooLarge(size:limit:)`` above `max_message_size`,
    ///   ``PlumtreeBroadcastError/cacheBudgetExceeded(size:limit:)`` above `message_cache_max_bytes`.
    @discardableResult
    public mutating func broadcast(
        _ payload: [UInt8], traceContext: [UInt8]? = nil, now: Instant, into output: inout [PlumtreeOutput]
    ) throws(PlumtreeBroadcastError) -> MessageID {
        guard payload.count <= config.maxMessageSize else {
            throw .payloadTooLarge(size: payload.count, limit: config.maxMessageSize)
        }
        if let traceContext, traceContext.count > config.maxTraceContextSize {
            throw .traceContextTooLarge(size: traceContext.count, limit: config.maxTraceContextSize)
        }
        let weight = payload.count + (traceContext?.count ?? 0)
        guard weight <= cache.maxBytes else { throw .cacheBudgetExceeded(size: weight, limit: cache.maxBytes) }
        var id = MessageID(drawingFrom: &random)
        while seen.contains(id) { id = MessageID(drawingFrom: &random) }
        seen.insert(id, now: now)
        pruneArbiter.heard(id, at: now)
        metrics.broadcast.increment()
        metrics.messageSize.record(payload.count)
        storeInCache(CachedMessage(
            id: id, origin: localID, hops: 0, from: -1, payload: payload, traceContext: traceContext,
            expiresAt: now + config.messageCacheTTL, bornAt: now
        ))
        eagerPush(id: id, round: 1, origin: localID, traceContext: traceContext, payload: payload, except: -1, into: &output)
        lazyPush(id: id, round: 1, except: -1, now: now, into: &output)
        return id
    }

    /// Handles a user message body received from the network: a ``PlumtreeEnvelope``. Bytes that do not
    /// decode are reported as ``PlumtreeOutput/refused(_:)``, counted, and change nothing.
    public mutating func receive(envelope bytes: [UInt8], now: Instant, into output: inout [PlumtreeOutput]) {
        if let (slot, message) = decodeFromKnownSender(bytes) {
            // A sender membership has not reported yet is answered in the version it wrote.
            if !peers[slot].isMember { peers[slot].version = bytes[1] }
            handle(message, fromSlot: slot, now: now, into: &output)
            return
        }
        let envelope: PlumtreeEnvelope
        do throws(PlumtreeDecodeError) {
            envelope = try PlumtreeEnvelope(decoding: bytes, versions: config.protocolVersions)
        } catch {
            countRefusal(error.reason)
            output.append(.refused(error))
            return
        }
        receive(from: envelope.sender, message: envelope.message, now: now, into: &output)
        if let slot = slotByName.slot(named: envelope.sender, in: peers), !peers[slot].isMember {
            peers[slot].version = bytes[1]
        }
    }

    /// Handles one Plumtree message (type byte and body) from the node named `peer`. Bytes that do not
    /// decode are reported as ``PlumtreeOutput/refused(_:)``, counted, and change nothing.
    public mutating func receive(
        from peer: String, message bytes: ArraySlice<UInt8>, now: Instant, into output: inout [PlumtreeOutput]
    ) {
        let message: PlumtreeMessage
        do throws(PlumtreeDecodeError) {
            guard peer != localID else { throw .fromSelf }
            let limits = self.limits
            let result = bytes.withUnsafeBytes { raw -> Result<PlumtreeMessage, PlumtreeDecodeError> in
                var reader = ByteReader(raw)
                do throws(PlumtreeDecodeError) {
                    return .success(try PlumtreeMessage.decode(&reader, limits: limits))
                } catch {
                    return .failure(error)
                }
            }
            message = try result.get()
        } catch {
            countRefusal(error.reason)
            output.append(.refused(error))
            return
        }
        handle(message, from: peer, now: now, into: &output)
    }

    /// The fast path of ``receive(envelope:now:into:)``: the sender's slot and the decoded message when the
    /// envelope is well formed and names a peer the core knows, else nil (the general path then handles
    /// the envelope, refusing it with its reason if malformed). The name's bytes equal a stored name, so
    /// they are valid UTF-8 and not this node's own name: no String is built or validated for them.
    func decodeFromKnownSender(_ bytes: [UInt8]) -> (slot: Int, message: PlumtreeMessage)? {
        bytes.withUnsafeBytes { raw in
            guard raw.count >= 3, raw[0] == PlumtreeEnvelope.marker, config.protocolVersions.contains(raw[1]) else { return nil }
            let length = Int(raw[2])
            guard length > 0, raw.count >= 3 + length,
                  let slot = slotByName.slot(forUTF8: UnsafeRawBufferPointer(rebasing: raw[3..<3 + length]), in: peers)
            else { return nil }
            var reader = ByteReader(UnsafeRawBufferPointer(rebasing: raw[(3 + length)...]))
            guard let message = try? PlumtreeMessage.decode(&reader, limits: limits) else { return nil }
            return (slot, message)
        }
    }

    /// Runs every timer due at `now`: overlay announcements, settled prunes, Grafts and their retries, IHave
    /// flushes, cache expiry, anti-entropy.
    public mutating func handleTimeout(now: Instant, into output: inout [PlumtreeOutput]) {
        if let at = announceNeighboursAt, at <= now { announceNeighbours(into: &output) }
        settlePrunes(now: now, into: &output)
        fireGraftTimers(now: now, into: &output)
        if let at = ihaveFlushAt, at <= now { flushAllAnnouncements(into: &output) }
        if cache.expire(now: now) > 0 {
            metrics.cacheSize.record(cache.count)
            metrics.cacheBytes.record(cache.bytes)
        }
        seen.expire(now: now)
        if nextAntiEntropyAt <= now { runAntiEntropyRound(now: now, into: &output) }
        expireTreeRequests(now: now, into: &output)
    }

    /// A read-only view for health reports.
    public var snapshot: PlumtreeSnapshot {
        PlumtreeSnapshot(
            eagerPeers: eager.map { peers[$0].name },
            lazyPeers: lazy.map { peers[$0].name },
            knownMembers: members.count,
            cacheSize: cache.count,
            cacheCapacity: cache.capacity,
            cacheBytes: cache.bytes,
            cacheMaxBytes: cache.maxBytes,
            pendingGrafts: missing.count,
            ihaveQueueSize: ihaveQueued,
            graftSuccesses: counters.graftSuccesses,
            graftFailures: counters.graftFailures,
            graftsSent: counters.graftsSent,
            delivered: counters.delivered,
            duplicates: counters.duplicates,
            payloadsReceived: counters.payloadsReceived,
            refused: counters.refused,
            repairDeliveries: counters.repairDeliveries,
            cacheEvictions: counters.cacheEvictions
        )
    }

    mutating func countRefusal(_ reason: String) {
        counters.refused += 1
        metrics.refused[reason]?.increment()
    }

    mutating func storeInCache(_ message: CachedMessage) {
        let evicted = cache.insert(message)
        if evicted.byCount > 0 { metrics.cacheEvictedByCount.increment(by: evicted.byCount) }
        if evicted.byBytes > 0 { metrics.cacheEvictedByBytes.increment(by: evicted.byBytes) }
        counters.cacheEvictions += UInt64(evicted.total)
        metrics.cacheSize.record(cache.count)
        metrics.cacheBytes.record(cache.bytes)
    }
}
