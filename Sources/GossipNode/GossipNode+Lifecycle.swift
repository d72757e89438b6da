import GossipObservability
import GossipRuntime
import Logging
import Plumtree
import ProtocolSupport
import ServiceLifecycle

extension GossipNode {
    /// Starts the protocols (and the admin server when configured), then joins the configured seeds.
    /// - Throws: ``GossipNodeError/seedsUnreachable(_:)`` when seeds were given and none answered; the node
    ///   keeps running and its core retries them, first after `joinRetryInterval`, for as long as it knows
    ///   no other live member. Binding errors name the address.
    ///
    /// Any other failure (the admin address in use, say) leaves the node shut down: everything it opened is
    /// closed, its loop thread has ended, and it cannot be started again.
    public func start() async throws(GossipNodeError) {
        guard state.advance(from: .created, to: .started) else {
            throw state.current == .stopped ? .stopped : .alreadyStarted
        }
        do {
            try await onLoop { engine throws(GossipNodeError) in
                try engine.start()
                // Now rather than at the first inbound stream, so that its metrics are exported from the start.
                _ = engine.inboundStreamBudget
            }
            if let admin = configuration.admin {
                try await startAdminServer(on: admin)
            }
        } catch {
            await shutdown()
            throw error
        }
        let bound = try await boundAddress
        logger.info("node started", metadata: ["bind": "\(bound)", "admin": "\(adminAddress.map(\.description) ?? "none")"])
        if !configuration.seeds.isEmpty {
            _ = try await join(configuration.seeds)
        }
    }

    /// Joins the cluster through `seeds` (a push/pull with each). Returns how many answered.
    /// - Throws: ``GossipNodeError/seedsUnreachable(_:)`` when none did, with each one's reason.
    @discardableResult
    public func join(_ seeds: [SocketAddress]) async throws(GossipNodeError) -> Int {
        try await join(seeds.map(Seed.address))
    }

    /// Joins the cluster through `seeds`: addresses, or host names resolved now (every A and AAAA record,
    /// each address joined) and again whenever the node retries its seeds while alone. Returns how many
    /// seeds answered; a name answers when any of its addresses does.
    /// - Throws: ``GossipNodeError/seedsUnreachable(_:)`` when none did, with each one's reason: a name that
    ///   did not resolve is named with the resolver's words (`cannot resolve 'seeds.internal': Name or
    ///   service not known`).
    @discardableResult
    public func join(_ seeds: [Seed]) async throws(GossipNodeError) -> Int {
        guard state.current == .started else { throw state.current == .created ? .notStarted : .stopped }
        let engine = engineBox
        let failures: [(seed: Seed, outcome: NodeEngine.SeedOutcome)] = await withCheckedContinuation { continuation in
            let accepted = loop.execute {
                engine.value.join(seeds) { failures in continuation.resume(returning: failures) }
            }
            if !accepted { continuation.resume(returning: seeds.map { ($0, .stopped) }) }
        }
        for failure in failures {
            // Another live member has this name: the node must not run on under it. It shuts down without
            // announcing a leave, which would mark the real member left.
            if case .failed(.nameInUse(let address)) = failure.outcome {
                logger.error("name in use", metadata: ["name": "\(configuration.name)", "member": "\(address)"])
                await shutdown()
                throw .nameInUse(name: configuration.name, address: address)
            }
        }
        if failures.count == seeds.count && !seeds.isEmpty {
            throw .seedsUnreachable(failures.map { failure in
                switch failure.outcome {
                case .failed(let why): "\(failure.seed): \(why)"
                case .stopped: "\(failure.seed): the node stopped"
                }
            })
        }
        return seeds.count - failures.count
    }

    /// The broadcast tree as the members report it: every member that speaks Plumtree version 2 is asked for
    /// its eager and lazy neighbours (eager links carry payloads: they are the tree); returns when all have
    /// answered or after `timeout`, with those that did not named.
    public func broadcastTree(timeout: Duration = .seconds(2)) async throws(GossipNodeError) -> BroadcastTreeView {
        guard state.current == .started else { throw state.current == .created ? .notStarted : .stopped }
        let engine = engineBox
        let name = configuration.name
        return await withCheckedContinuation { continuation in
            let accepted = loop.execute {
                engine.value.broadcastTree(timeout: timeout) { view in continuation.resume(returning: view) }
            }
            if !accepted { continuation.resume(returning: BroadcastTreeView(root: name, members: [:], unanswered: [], notAsked: [])) }
        }
    }

    /// Changes, or lists, the keyring of every member, as `serf keys` does and through the same serf
    /// queries, so serf agents in the cluster take part. Applied here first, then asked of every member;
    /// returns once every live member has answered or the query timed out (serf's query timeout: the
    /// gossip interval × 16 × ⌈log10(members + 1)⌉).
    ///
    /// The report says how many members there were, which answered, and which failed and why; check
    /// ``KeyringReport/succeeded`` before the next step of a rotation (install, use, remove).
    public func changeKeyring(_ operation: KeyringOperation) async throws(GossipNodeError) -> KeyringReport {
        guard state.current == .started else { throw state.current == .created ? .notStarted : .stopped }
        let engine = engineBox
        return await withCheckedContinuation { continuation in
            let accepted = loop.execute {
                engine.value.changeKeyring(operation) { report in continuation.resume(returning: report) }
            }
            if !accepted { continuation.resume(returning: KeyringReport(operation: operation, members: 0, answers: [])) }
        }
    }

    /// Broadcasts `payload` to every node of the cluster; returns the message's id (hex).
    /// - Throws: ``GossipNodeError/messageTooLarge(size:limit:)`` over `plumtree.max_message_size`;
    ///   ``GossipNodeError/messageOverCacheBudget(size:limit:)`` over `plumtree.message_cache_max_bytes`;
    ///   ``GossipNodeError/sendBacklogFull(bytes:streams:)`` while too much is still being sent (nothing
    ///   was sent: retry later).
    @discardableResult
    public func broadcast(_ payload: [UInt8]) async throws(GossipNodeError) -> String {
        guard state.current == .started else { throw state.current == .created ? .notStarted : .stopped }
        let (span, context) = tracing.startBroadcast(size: payload.count)
        defer { span?.end() }
        do {
            let id = try await onLoop { engine throws(GossipNodeError) in try engine.broadcast(payload, traceContext: context) }
            span?.attributes[PlumtreeTracing.messageIDAttribute] = id.description
            return id.description
        } catch {
            span?.recordError(error)
            throw error
        }
    }

    /// Every member this node knows, itself included, sorted by name.
    public func members() async throws(GossipNodeError) -> [MemberInfo] {
        try await onLoop { engine in engine.core.members.map(MemberInfo.init).sorted { $0.name < $1.name } }
    }

    /// The node's health report now (what /health serves).
    public func health() async throws(GossipNodeError) -> HealthReport {
        try await onLoop { engine in engine.healthReport(now: engine.loop.now) }
    }

    /// The Plumtree overlay as this node sees it: eager and lazy neighbours, cache and graft figures.
    public func plumtreeSnapshot() async throws(GossipNodeError) -> PlumtreeSnapshot {
        try await onLoop { engine in engine.core.plumtreeSnapshot }
    }

    /// Announces new tags (a new incarnation of this node's alive message). The `plumtree` tag is kept.
    public func updateTags(_ tags: [String: String]) async throws(GossipNodeError) {
        try TagSize.check(tags, versions: configuration.plumtree.protocolVersions)
        try await onLoop { engine throws(GossipNodeError) in try engine.updateTags(tags) }
    }

    /// Leaves the cluster gracefully: serf's leave intent, then the dead-by-itself message, waiting up to
    /// `leaveTimeout` for them to spread. Then the node stops; ``shutdown()`` releases the rest.
    public func leave() async throws(GossipNodeError) {
        guard state.advance(from: .started, to: .leaving) else {
            if state.current == .created { throw .notStarted }
            return
        }
        let engine = engineBox
        let timeout = configuration.leaveTimeout
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let accepted = loop.execute {
                engine.value.leave(timeout: timeout) { continuation.resume() }
            }
            if !accepted { continuation.resume() }
        }
        logger.info("left the cluster")
    }

    /// Stops everything and releases the event loop. Safe to call more than once.
    public func shutdown() async {
        state.set(.stopped)
        let engine = engineBox
        _ = loop.execute { engine.value.stop() }
        await stopAdminServer()
        await loop.shutdown()
    }

    /// `Service`: starts the node (seeds that do not answer yet are retried, not fatal), runs until graceful
    /// shutdown is requested (or the task is cancelled), then leaves the cluster and shuts down.
    public func run() async throws {
        if state.current == .created {
            do {
                try await start()
            } catch {
                // Seeds not up yet are normal when a cluster starts together: the node keeps retrying them.
                guard case .seedsUnreachable = error else { throw error }
                logger.warning("\(error); retrying in the background")
            }
        }
        await withGracefulShutdownHandler {
            await stoppedSignal.wait()
        } onGracefulShutdown: {
            self.stoppedSignal.fire()
        }
        try? await leave()
        await shutdown()
    }
}
