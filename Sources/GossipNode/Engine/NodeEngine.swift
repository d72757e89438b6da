import CoreMetrics
import GossipObservability
import GossipRuntime
import Logging
import MemberlistWire
import Membership
import Plumtree
import ProtocolSupport

/// The driver of one node on its libuv loop: owns both protocol cores, the membership sockets and the
/// cores' timers, and moves outputs between them.
///
/// Loop thread only. Every input (a datagram, a stream, a timer, a command from the public API) ends with
/// ``pump()``, which drains both cores' outputs until neither has anything left, then re-arms each core's
/// timer at its `nextDeadline`. The cores never see the loop, the sockets or the clock.
final class NodeEngine {
    let loop: EventLoop
    let configuration: GossipNodeConfiguration
    let logger: Logger
    var membership: MembershipCore
    var plumtree: PlumtreeCore
    let udp: UDPSocket
    var tcp: TCPListener?
    var membershipTimer: DeadlineTimer?
    var plumtreeTimer: DeadlineTimer?
    let sink: NodeSink
    /// Graft spans of messages this node is recovering.
    var graftTracing: GraftTracing

    /// Outputs waiting to be carried out; reused between inputs so a busy node does not allocate per packet.
    var membershipOutputs: [MembershipOutput] = []
    var plumtreeOutputs: [PlumtreeOutput] = []
    private var pumping = false

    /// Streams the membership core asked for, by id, until they complete.
    var outboundStreams: [StreamID: TCPConnection] = [:]
    /// Inbound streams being read.
    var inboundStreams: [ObjectIdentifier: TCPConnection] = [:]
    /// Join and leave requests from the public API waiting for the core to finish them.
    var joinWaiters: [SocketAddress: [(String?) -> Void]] = [:]
    var leaveWaiters: [() -> Void] = []
    var stopped = false
    /// Refused input is counted by the cores; its log lines are rate-limited here so a flood cannot drown
    /// the log.
    let rateLimiter = LogRateLimiter(limit: 10, window: .seconds(60))
    /// Health: the windowed model, the loop's liveness watchdog, the once-a-second evaluation.
    var health: HealthModel
    let watchdog: LivenessWatchdog
    var healthTimer: LoopTimer?
    var lastHealthStatus: HealthStatus?
    let nodeMetrics: NodeMetrics?
    private let healthGauge: Gauge?

    /// The largest stream a peer may send us (memberlist's own limit on push/pull and user messages).
    static let maxStreamBytes = 20 << 20

    // MARK: Inbound stream limits (issue 20, hostile input): kept in this one block for an easy merge.
    /// Caps inbound streams in number and buffered bytes (NodeEngine+Streams.swift). Lazy so that the
    /// initialiser stays as it is; its metrics use the node's factory, as the cores' do.
    lazy var inboundStreamBudget = InboundStreamBudget(
        limits: configuration.inboundStreams,
        metrics: configuration.metricsFactory ?? nodeMetrics ?? NOOPMetricsHandler.instance)
    // MARK: end of inbound stream limits

    init(loop: EventLoop, configuration: GossipNodeConfiguration, metrics: any MetricsFactory, nodeMetrics: NodeMetrics?,
         logger: Logger, seed: UInt64, sink: NodeSink) throws(GossipNodeError) {
        self.loop = loop
        self.configuration = configuration
        self.logger = logger
        self.sink = sink
        self.graftTracing = GraftTracing(tracer: sink.tracing.tracer)
        self.nodeMetrics = nodeMetrics
        self.health = HealthModel(configuration: configuration.health)
        self.watchdog = LivenessWatchdog(timeout: configuration.health.livenessTimeout)
        // With the node's own registry, NodeMetrics owns plumtree_health_status; with a factory of the
        // embedder's, the node creates the gauge there.
        self.healthGauge = nodeMetrics == nil ? Gauge(label: "plumtree_health_status", factory: metrics) : nil
        let now = loop.now
        var tags = configuration.tags
        tags[PlumtreeTag.key] = PlumtreeTag.value
        let meta: [UInt8]
        do {
            meta = try SerfTags.encode(tags)
        } catch {
            throw .tagsTooLarge(size: (try? SerfTags.encode(tags).count) ?? SerfTags.maxMetaSize + 1)
        }
        var keyring: Keyring?
        if let primary = configuration.encryptionKeys.first {
            do {
                keyring = try Keyring(primaryKey: primary, otherKeys: Array(configuration.encryptionKeys.dropFirst()))
            } catch {
                throw .invalidKey(reason: "\(error)")
            }
        }
        if configuration.advertise == nil && configuration.bind.ip.allSatisfy({ $0 == 0 }) {
            throw .invalidConfiguration(
                "bind \(configuration.bind) listens on every address, so set advertise to the one other members reach this node at")
        }
        // Bound first: with port 0 the OS chooses, and that port is what the node must announce.
        do {
            udp = try UDPSocket(loop: loop, bindingTo: configuration.bind, receiveBufferSize: 4 << 20)
        } catch let error {
            throw Self.bindError(error, configuration.bind)
        }
        var random = SeededRandom(seed: seed)
        let local = LocalNode(name: configuration.name, address: configuration.advertise ?? udp.localAddress, meta: meta)
        do {
            membership = try MembershipCore(config: configuration.membership, local: local, seed: random.next(),
                                            metrics: metrics, keyring: keyring, now: now)
        } catch {
            throw .invalidConfiguration("\(error)")
        }
        plumtree = PlumtreeCore(config: configuration.plumtree, localID: configuration.name, seed: random.next(),
                                metrics: metrics, now: now)
    }

    /// Binds TCP on the UDP socket's port (the OS may have chosen it), starts receiving and arms the timers.
    func start() throws(GossipNodeError) {
        let tcpAddress = udp.localAddress
        do {
            tcp = try TCPListener(loop: loop, bindingTo: tcpAddress) { [unowned self] connection in
                self.acceptStream(connection)
            }
            try udp.startReceiving { [unowned self] bytes, source in
                self.receiveDatagram(Array(bytes), from: source)
            }
        } catch let error {
            udp.close()
            throw Self.bindError(error, tcpAddress)
        }
        startHealthTicks()
        membershipTimer = DeadlineTimer(loop: loop) { [unowned self] now in
            self.membership.handleTimeout(now: now, into: &self.membershipOutputs)
            self.pump()
        }
        plumtreeTimer = DeadlineTimer(loop: loop) { [unowned self] now in
            self.plumtree.handleTimeout(now: now, into: &self.plumtreeOutputs)
            self.pump()
        }
        pump()
    }

    private static func bindError(_ error: RuntimeError, _ address: SocketAddress) -> GossipNodeError {
        if case .addressInUse = error { return .addressInUse(address) }
        return .bindFailed(address, reason: error.description)
    }

    /// The address membership actually listens on (with the OS-chosen port when bound to port 0).
    var boundAddress: SocketAddress { udp.localAddress }

    // MARK: Inputs

    func receiveDatagram(_ bytes: [UInt8], from source: SocketAddress) {
        guard !stopped else { return }
        membership.receiveDatagram(bytes, from: source, now: loop.now, into: &membershipOutputs)
        pump()
    }

    // MARK: The pump

    /// Carries out every pending output of both cores, including the outputs those produce, then re-arms
    /// the timers. Re-entrant calls (an output whose handling feeds a core) just return: the outer call
    /// keeps draining.
    func pump() {
        guard !pumping else { return }
        pumping = true
        defer { pumping = false }
        var membershipBatch: [MembershipOutput] = []
        var plumtreeBatch: [PlumtreeOutput] = []
        while !membershipOutputs.isEmpty || !plumtreeOutputs.isEmpty {
            swap(&membershipBatch, &membershipOutputs)
            for output in membershipBatch { carryOut(output) }
            membershipBatch.removeAll(keepingCapacity: true)
            swap(&plumtreeBatch, &plumtreeOutputs)
            for output in plumtreeBatch { carryOut(output) }
            plumtreeBatch.removeAll(keepingCapacity: true)
        }
        guard !stopped else { return }
        membershipTimer?.arm(at: membership.nextDeadline)
        plumtreeTimer?.arm(at: plumtree.nextDeadline)
    }

    private func carryOut(_ output: MembershipOutput) {
        let now = loop.now
        switch output {
        case .sendDatagram(let to, let bytes):
            udp.send(bytes, to: to)
        case .openStream(let request):
            openStream(request)
        case .event(let event):
            handleMemberEvent(event, now: now)
        case .userMessage(let message):
            handleUserMessage(message, now: now)
        case .refused(let refusal):
            rateLimiter.log(logger, level: .warning, key: "refused-\(refusal.reason.rawValue)", now: now,
                            "refused input: \(refusal)")
        case .leaveBroadcastDone:
            let waiters = leaveWaiters
            leaveWaiters = []
            for waiter in waiters { waiter() }
        case .joinCompleted(let seed, let error):
            if let error { logger.warning("join through \(seed) failed: \(error)") }
            let waiters = joinWaiters.removeValue(forKey: seed) ?? []
            for waiter in waiters { waiter(error) }
        }
    }

    private func carryOut(_ output: PlumtreeOutput) {
        switch output {
        case .send(let to, let bytes, let preferReliable):
            do {
                try membership.sendUserMessage(to: to, bytes, reliable: preferReliable, now: loop.now, into: &membershipOutputs)
            } catch {
                // The peer left membership between Plumtree's choice and now; Plumtree hears of it next.
                rateLimiter.log(logger, level: .debug, key: "plumtree-send", now: loop.now, "cannot send to \(to): \(error)")
            }
        case .deliver(let message):
            sink.deliver(message)
        case .graft(let event):
            graftTracing.record(event)
            if case .failed(let id, let attempts) = event {
                rateLimiter.log(logger, level: KeyLogEvent.graftFailed.level, key: "graft-failed", now: loop.now,
                                "\(KeyLogEvent.graftFailed.rawValue)", metadata: ["message": "\(id)", "attempts": "\(attempts)"])
            }
        }
    }

    private func handleMemberEvent(_ event: MemberEvent, now: Instant) {
        switch event {
        case .joined(let member), .updated(let member), .recovered(let member):
            guard member.name != configuration.name else { break }
            let tags = (try? SerfTags.decode(member.meta)) ?? [:]
            plumtree.memberUp(member.name, advertisesPlumtree: tags[PlumtreeTag.key] != nil, now: now, into: &plumtreeOutputs)
        case .failed(let member), .left(let member), .reaped(let member):
            plumtree.memberDown(member.name, now: now, into: &plumtreeOutputs)
        case .suspect:
            break
        }
        if case .joined(let member) = event, member.name != configuration.name {
            logger.info("member joined", metadata: ["member": "\(member.name)", "address": "\(member.address)"])
        } else if case .failed(let member) = event {
            logger.warning("member failed", metadata: ["member": "\(member.name)"])
        } else if case .left(let member) = event, member.name != configuration.name {
            logger.info("member left", metadata: ["member": "\(member.name)"])
        }
        sink.membershipChanged(MembershipChange(event))
    }

    private func handleUserMessage(_ message: ReceivedUserMessage, now: Instant) {
        guard PlumtreeEnvelope.isPlumtree(message.bytes) else {
            // serf's own user messages (leave intents, events, queries) are not ours to act on.
            return
        }
        do {
            try plumtree.receive(envelope: message.bytes, now: now, into: &plumtreeOutputs)
        } catch {
            rateLimiter.log(logger, level: .warning, key: "plumtree-refused", now: now,
                            "refused Plumtree message from \(message.address): \(error)")
        }
    }

    // MARK: Commands from the public API

    func join(_ seeds: [SocketAddress], completion: @escaping ([String]) -> Void) {
        guard !seeds.isEmpty else { return completion([]) }
        var failures: [String] = []
        var remaining = seeds.count
        for seed in seeds {
            joinWaiters[seed, default: []].append { error in
                if let error { failures.append("\(seed): \(error)") }
                remaining -= 1
                if remaining == 0 { completion(failures) }
            }
        }
        membership.join(seeds, now: loop.now, into: &membershipOutputs)
        pump()
    }

    func broadcast(_ payload: [UInt8], traceContext: [UInt8]?) throws(GossipNodeError) -> MessageID {
        guard !stopped, !membership.isLeft else { throw .stopped }
        do {
            let id = try plumtree.broadcast(payload, traceContext: traceContext, now: loop.now, into: &plumtreeOutputs)
            pump()
            return id
        } catch {
            switch error {
            case .payloadTooLarge(let size, let limit): throw .messageTooLarge(size: size, limit: limit)
            case .traceContextTooLarge(let size, let limit): throw .messageTooLarge(size: size, limit: limit)
            }
        }
    }

    func updateTags(_ tags: [String: String]) throws(GossipNodeError) {
        var all = tags
        all[PlumtreeTag.key] = PlumtreeTag.value
        let meta: [UInt8]
        do {
            meta = try SerfTags.encode(all)
        } catch {
            throw .tagsTooLarge(size: SerfTags.maxMetaSize + 1)
        }
        do {
            try membership.updateMeta(meta, now: loop.now, into: &membershipOutputs)
        } catch {
            throw .tagsTooLarge(size: meta.count)
        }
        pump()
    }

    /// Starts a graceful leave; `completion` runs once the announcement has spread (or at `timeout`).
    func leave(timeout: Duration, completion: @escaping () -> Void) {
        guard !membership.isLeft else { return completion() }
        var done = false
        let finish = { if !done { done = true; completion() } }
        leaveWaiters.append(finish)
        let timer = LoopTimer(loop: loop)
        timer.schedule(after: timeout) { timer.close(); finish() }
        membership.leave(now: loop.now, into: &membershipOutputs)
        pump()
    }

    func recordHealth(_ status: HealthStatus) {
        if let nodeMetrics { nodeMetrics.recordHealth(status) } else { healthGauge?.record(status.gaugeValue) }
    }

    /// Closes sockets and timers; the loop itself is shut down by the owner.
    func stop() {
        guard !stopped else { return }
        stopped = true
        membershipTimer?.close()
        plumtreeTimer?.close()
        healthTimer?.close()
        udp.close()
        tcp?.close()
        for connection in outboundStreams.values { connection.close() }
        for connection in inboundStreams.values { connection.close() }
        outboundStreams = [:]
        inboundStreams = [:]
        for waiters in joinWaiters.values { for waiter in waiters { waiter("the node stopped") } }
        joinWaiters = [:]
        let leaving = leaveWaiters
        leaveWaiters = []
        for waiter in leaving { waiter() }
        graftTracing.endAll()
        sink.finish()
    }
}
