import CoreMetrics
import GossipObservability
import GossipRuntime
import Logging
import MemberlistWire
import Membership
import GossipNodeCore
import Plumtree
import ProtocolSupport

/// The libuv driver of one node: turns the node core's outputs into I/O, and I/O into the core's inputs.
///
/// Loop thread only. It decides nothing about the protocols: which member Plumtree talks to, where a user
/// message goes, whom to reconnect to, all of that is ``NodeCore``'s, the same code the simulator runs.
/// Every input ends with ``carryOut()``, which performs the core's outputs and re-arms the one timer at the
/// core's `nextDeadline`.
final class NodeEngine {
    let loop: EventLoop
    let configuration: GossipNodeConfiguration
    /// One logger per component (`protocol`, `network`, `metrics`, `admin`), each at its own level.
    let loggers: NodeLoggers
    /// Protocol events: members, grafts, partitions, reconnects, the cache, configuration.
    var logger: Logger { loggers.protocol }
    var core: NodeCore
    let udp: UDPSocket
    let tcp: TCPListener
    private let acceptor: MembershipSockets.Acceptor
    var timer: DeadlineTimer?
    let sink: NodeSink
    /// Graft spans of messages this node is recovering.
    var graftTracing: GraftTracing

    /// The core's outputs; reused between inputs so a busy node does not allocate per packet.
    var outputs: [NodeOutput] = []
    private var batch: [NodeOutput] = []
    private var carrying = false

    /// Streams the core asked for, by id, until they complete.
    var outboundStreams: [StreamID: TCPConnection] = [:]
    /// Inbound streams being read or answered, by the id the core answers them under.
    var inboundStreams: [InboundStreamID: TCPConnection] = [:]
    var nextInboundStream: UInt64 = 0
    /// Join and leave requests from the public API waiting for the core to finish them.
    var joinWaiters: [Seed: [(SeedOutcome?) -> Void]] = [:]
    var leaveWaiters: [() -> Void] = []
    /// Keyring operations this node started, by query id, waiting for their report.
    var keyringWaiters: [UInt32: (operation: KeyringOperation, completion: (KeyringReport) -> Void)] = [:]
    /// Tree requests waiting for their view, by id; the one in flight; the last view and when it came.
    var treeWaiters: [UInt32: [(BroadcastTreeView) -> Void]] = [:]
    var treeInFlight: UInt32?
    var lastTree: (at: Instant, view: BroadcastTreeView)?
    var stopped = false
    /// Refused input is counted by the cores; its log lines are rate-limited here so a flood cannot drown
    /// the log.
    let rateLimiter = LogRateLimiter(limit: 10, window: .seconds(60))
    /// Foreign cluster labels already logged: a mismatch is logged once per label, not per packet.
    var labelMismatches = LabelMismatchLog()
    /// Health: the windowed model, the loop's liveness watchdog, the once-a-second evaluation.
    var health: HealthModel
    let watchdog: LivenessWatchdog
    var healthTimer: LoopTimer?
    var lastHealthStatus: HealthStatus?
    let nodeMetrics: NodeMetrics?
    private let healthGauge: Gauge?
    /// Drops per delivery stream at the last health tick: a stream that dropped since is lagging.
    var deliveryDropsSeen: [String: UInt64] = [:]
    /// The Plumtree cache's evictions at the last health tick, to log how many happened since.
    var cacheEvictionsSeen: UInt64 = 0

    /// The largest stream a peer may send us (memberlist's own limit on push/pull and user messages).
    static let maxStreamBytes = 20 << 20

    /// Caps inbound streams in number and buffered bytes (NodeEngine+Streams.swift). Lazy: created on the
    /// first use, with the node's metrics factory, as the cores' metrics are.
    lazy var inboundStreamBudget = InboundStreamBudget(
        limits: configuration.inboundStreams,
        metrics: configuration.metricsFactory ?? nodeMetrics ?? NOOPMetricsHandler.instance)

    init(loop: EventLoop, configuration: GossipNodeConfiguration, metrics: any MetricsFactory, nodeMetrics: NodeMetrics?,
         loggers: NodeLoggers, seed: UInt64, sink: NodeSink) throws(GossipNodeError) {
        self.loop = loop
        self.configuration = configuration
        self.loggers = loggers
        self.sink = sink
        self.graftTracing = GraftTracing(tracer: sink.tracing.tracer)
        self.nodeMetrics = nodeMetrics
        self.health = HealthModel(configuration: configuration.health)
        self.watchdog = LivenessWatchdog(timeout: configuration.health.livenessTimeout)
        // With the node's own registry, NodeMetrics owns plumtree_health_status; with a factory of the
        // embedder's, the node creates the gauge there.
        self.healthGauge = nodeMetrics == nil ? Gauge(label: "plumtree_health_status", factory: metrics) : nil
        if configuration.advertise == nil && configuration.bind.ip.allSatisfy({ $0 == 0 }) {
            throw .invalidConfiguration(
                "bind \(configuration.bind) listens on every address, so set advertise to the one other members reach this node at")
        }
        // Bound first: with port 0 the OS chooses, and that port is what the node must announce.
        let sockets = try MembershipSockets.bind(loop: loop, address: configuration.bind, receiveBufferSize: 4 << 20)
        udp = sockets.udp
        tcp = sockets.tcp
        acceptor = sockets.acceptor
        do {
            core = try NodeCore(config: configuration.nodeCoreConfig(advertise: configuration.advertise ?? udp.localAddress),
                                seed: seed, metrics: metrics, now: loop.now)
        } catch {
            sockets.close()
            switch error {
            case .tagsTooLarge(let size): throw .tagsTooLarge(size: size)
            case .invalidKey(let reason): throw .invalidKey(reason: reason)
            case .invalidName, .unsupportedPlumtreeVersions, .invalidLabel: throw .invalidConfiguration("\(error)")
            }
        }
    }

    /// Starts receiving on both sockets and arms the timer.
    func start() throws(GossipNodeError) {
        // These three hold the engine unowned, and each is safe for the same reason: the handle is the
        // engine's own, `stop()` closes it (and `start()` closes the sockets when it fails), and the runtime
        // calls no receive, accept or timer callback of a handle once it is closed. The engine is released
        // only after `stop()` ran on the loop (GossipNode.shutdown; a failed init or start shuts down too).
        // Per-stream callbacks can run after a close, so those hold the engine weakly
        // (NodeEngine+Streams.swift).
        acceptor.handler = { [unowned self] connection in self.acceptStream(connection) }
        do {
            try udp.startReceiving { [unowned self] bytes, source in
                self.receiveDatagram(Array(bytes), from: source)
            }
        } catch let error {
            udp.close()
            tcp.close()
            throw MembershipSockets.bindError(error, udp.localAddress)
        }
        startHealthTicks()
        timer = DeadlineTimer(loop: loop) { [unowned self] now in
            guard !self.stopped else { return }
            self.core.handleTimeout(now: now, into: &self.outputs)
            self.carryOut()
        }
        logConfiguration()
        carryOut()
    }

    /// The address membership actually listens on (with the OS-chosen port when bound to port 0).
    var boundAddress: SocketAddress { udp.localAddress }

    // MARK: Inputs

    func receiveDatagram(_ bytes: [UInt8], from source: SocketAddress) {
        guard !stopped else { return }
        core.receiveDatagram(bytes, from: source, now: loop.now, into: &outputs)
        carryOut()
    }

    // MARK: Outputs

    /// Performs every output of the core, then re-arms the timer. Re-entrant calls (an output whose
    /// handling feeds the core) just return: the outer call keeps going.
    func carryOut() {
        guard !carrying else { return }
        carrying = true
        defer { carrying = false }
        while !outputs.isEmpty {
            swap(&batch, &outputs)
            for output in batch { perform(output) }
            batch.removeAll(keepingCapacity: true)
        }
        guard !stopped else { return }
        timer?.arm(at: core.nextDeadline)
    }

    private func perform(_ output: NodeOutput) {
        let now = loop.now
        switch output {
        case .sendDatagram(let to, let bytes):
            udp.send(bytes, to: to)
        case .openStream(let request):
            openStream(request)
        case .answerStream(let id, let reply):
            answer(id, reply: reply)
        case .deliver(let message):
            sink.deliver(message)
        case .member(let event):
            logMemberEvent(event)
            sink.membershipChanged(MembershipChange(event))
        case .graft(let event):
            graftTracing.record(event)
            if case .failed(let id, let attempts) = event {
                rateLimiter.log(logger, level: KeyLogEvent.graftFailed.level, key: "graft-failed", now: now,
                                "\(KeyLogEvent.graftFailed.rawValue)", metadata: ["message": "\(id)", "attempts": "\(attempts)"])
            }
        case .partitionSuspected(let suspicion):
            logger.log(level: KeyLogEvent.partitionSuspected.level, "\(KeyLogEvent.partitionSuspected.rawValue)", metadata: [
                "failed": "\(suspicion.failed.count)", "members": "\(suspicion.members)",
                "within": "\(DurationText.format(suspicion.window))",
                "failed_members": "\(suspicion.failed.joined(separator: ","))",
            ])
        case .refused(.membership(let refusal)) where refusal.reason == .labelMismatch:
            logLabelMismatch(refusal)
        case .refused(let refusal):
            // A late ack is routine under loss; only what an operator should look at is a warning.
            rateLimiter.log(loggers.network, level: refusal.isRoutine ? .debug : KeyLogEvent.packetRefused.level,
                            key: "refused-\(refusal.reason)", now: now,
                            "\(KeyLogEvent.packetRefused.rawValue)", metadata: ["reason": "\(refusal.reason)", "detail": "\(refusal)"])
        case .leaveDone:
            let waiters = leaveWaiters
            leaveWaiters = []
            for waiter in waiters { waiter() }
        case .joinCompleted(let seed, let failure):
            if let failure { logger.warning("join through \(seed) failed: \(failure)") }
            let waiters = joinWaiters.removeValue(forKey: seed) ?? []
            for waiter in waiters { waiter(failure.map(SeedOutcome.failed)) }
        case .reconnect(let event):
            logReconnect(event, now: now)
        case .plumtreeVersionMismatch(let mismatch):
            log(.plumtreeVersionMismatch, ["member": "\(mismatch.member)", "member_versions": "\(mismatch.announced)",
                                           "local_versions": "\(mismatch.local)"])
        case .keyringChanged(let change):
            logKeyringChange(change)
        case .keyringReport(let id, let report):
            keyringWaiters.removeValue(forKey: id)?.completion(report)
        case .tree(let id, let view):
            treeAnswered(id: id, view)
        case .resolveSeed(let host, let port):
            resolveSeed(host: host, port: port)
        }
    }

    private func logMemberEvent(_ event: MemberEvent) {
        switch event {
        case .joined(let member) where member.name != configuration.name:
            log(.peerJoined, ["member": "\(member.name)", "address": "\(member.address)"])
        case .failed(let member):
            log(.peerFailed, ["member": "\(member.name)", "address": "\(member.address)"])
        case .left(let member) where member.name != configuration.name:
            log(.peerLeft, ["member": "\(member.name)"])
        default:
            break
        }
    }

    /// A key event (docs/MONITORING.md, "Logs"), at its level, under its name.
    func log(_ event: KeyLogEvent, _ metadata: Logger.Metadata) {
        let logger = switch event.component {
        case .protocol: loggers.protocol
        case .network: loggers.network
        case .metrics: loggers.metrics
        case .admin: loggers.admin
        }
        logger.log(level: event.level, "\(event.rawValue)", metadata: metadata)
    }

    private func logReconnect(_ event: ReconnectEvent, now: Instant) {
        switch event {
        case .attempted(let member, let address):
            logger.debug("reconnecting", metadata: ["member": "\(member ?? "seed")", "address": "\(address)"])
        case .succeeded(let member, let address):
            logger.info("reconnected", metadata: ["member": "\(member ?? "seed")", "address": "\(address)"])
        case .failed(let member, let address, let failure):
            rateLimiter.log(logger, level: .debug, key: "reconnect-failed", now: now, "reconnect failed",
                            metadata: ["member": "\(member ?? "seed")", "address": "\(address)", "reason": "\(failure)"])
        case .expired(let member):
            logger.notice("gave up reconnecting", metadata: ["member": "\(member)",
                                                             "after": "\(configuration.reconnectTimeout)"])
        }
    }

    // MARK: Commands from the public API

    /// Why one seed did not take this node in.
    enum SeedOutcome {
        case failed(JoinFailure)
        case stopped
    }

    func join(_ seeds: [Seed], completion: @escaping ([(seed: Seed, outcome: SeedOutcome)]) -> Void) {
        guard !seeds.isEmpty else { return completion([]) }
        var failures: [(seed: Seed, outcome: SeedOutcome)] = []
        var remaining = seeds.count
        for seed in seeds {
            joinWaiters[seed, default: []].append { outcome in
                if let outcome { failures.append((seed, outcome)) }
                remaining -= 1
                if remaining == 0 { completion(failures) }
            }
        }
        core.join(seeds, now: loop.now, into: &outputs)
        carryOut()
    }

    func broadcast(_ payload: [UInt8], traceContext: [UInt8]?) throws(GossipNodeError) -> MessageID {
        guard !stopped, !core.isLeft else { throw .stopped }
        do {
            let id = try core.broadcast(payload, traceContext: traceContext, now: loop.now, into: &outputs)
            carryOut()
            return id
        } catch {
            switch error {
            case .payloadTooLarge(let size, let limit): throw .messageTooLarge(size: size, limit: limit)
            case .traceContextTooLarge(let size, let limit): throw .messageTooLarge(size: size, limit: limit)
            case .cacheBudgetExceeded(let size, let limit): throw .messageOverCacheBudget(size: size, limit: limit)
            case .outboundBacklog(let bytes, let streams): throw .sendBacklogFull(bytes: bytes, streams: streams)
            }
        }
    }

    func updateTags(_ tags: [String: String]) throws(GossipNodeError) {
        do {
            try core.updateTags(tags, now: loop.now, into: &outputs)
        } catch {
            if case .tagsTooLarge(let size) = error { throw .tagsTooLarge(size: size) }
            throw .invalidConfiguration("\(error)")
        }
        log(.configurationChanged, ["setting": "tags", "tags": "\(tags.keys.sorted().map { "\($0)=\(tags[$0] ?? "")" }.joined(separator: ","))"])
        carryOut()
    }

    /// Starts a graceful leave; `completion` runs once the announcement has spread (or at `timeout`).
    func leave(timeout: Duration, completion: @escaping () -> Void) {
        guard !core.isLeft else { return completion() }
        var done = false
        let finish = { if !done { done = true; completion() } }
        leaveWaiters.append(finish)
        let timer = LoopTimer(loop: loop)
        timer.schedule(after: timeout) { timer.close(); finish() }
        core.leave(now: loop.now, into: &outputs)
        carryOut()
    }

    func recordHealth(_ status: HealthStatus) {
        if let nodeMetrics { nodeMetrics.recordHealth(status) } else { healthGauge?.record(status.gaugeValue) }
    }

    /// Closes sockets and timers; the loop itself is shut down by the owner.
    func stop() {
        guard !stopped else { return }
        stopped = true
        timer?.close()
        healthTimer?.close()
        udp.close()
        tcp.close()
        for connection in outboundStreams.values { connection.close() }
        for connection in inboundStreams.values { connection.close() }
        outboundStreams = [:]
        inboundStreams = [:]
        for waiters in joinWaiters.values { for waiter in waiters { waiter(.stopped) } }
        joinWaiters = [:]
        let leaving = leaveWaiters
        leaveWaiters = []
        for waiter in leaving { waiter() }
        // Whatever waits on a query the core will no longer finish is answered now, with what it has: none.
        for (_, waiter) in keyringWaiters { waiter.completion(KeyringReport(operation: waiter.operation, members: 0, answers: [])) }
        keyringWaiters = [:]
        let empty = BroadcastTreeView(root: configuration.name, members: [:], unanswered: [], notAsked: [])
        for (_, waiters) in treeWaiters { for waiter in waiters { waiter(empty) } }
        treeWaiters = [:]
        graftTracing.endAll()
        sink.finish()
    }
}
