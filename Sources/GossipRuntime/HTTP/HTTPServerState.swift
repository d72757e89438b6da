import CLibUV
import ProtocolSupport

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The admin server's loop-thread side: the listener, the open connections and the counters.
final class HTTPServerState {
    let loop: EventLoop
    let router: HTTPRouter
    let configuration: AdminHTTPServerConfiguration
    let observer: AdminHTTPServerObserver
    private var listener: TCPListener?
    /// Loop turns, so that eviction spares connections the loop has not read yet.
    private var turns: LoopTurnCounter?
    private var connections: [UInt64: HTTPServerConnection] = [:]
    private var nextConnectionID: UInt64 = 1
    private(set) var statistics = AdminHTTPServerStatistics()
    private var stopping = false
    /// Waiters for "every connection has closed", resumed from the loop thread.
    private var closedWaiters: [CheckedContinuation<Void, Never>] = []
    private var cachedDate: (second: Int, text: String) = (-1, "")
    /// Reaches this object from deferred answers, which arrive on any thread. Weak: the server facade
    /// owns it, and deferred answers hold it only while their connection is open.
    weak var bound: LoopBound<HTTPServerState>?

    init(loop: EventLoop, router: HTTPRouter, configuration: AdminHTTPServerConfiguration, observer: AdminHTTPServerObserver = .none) {
        self.loop = loop
        self.router = router
        self.configuration = configuration
        self.observer = observer
    }

    /// Binds and listens; returns the bound address.
    func start() throws(RuntimeError) -> SocketAddress {
        let listener = try TCPListener(loop: loop, bindingTo: configuration.address, backlog: configuration.backlog) { [weak self] tcp in
            guard let self else { return tcp.close() }
            self.accepted(tcp)
        }
        self.listener = listener
        turns = LoopTurnCounter(loop: loop)
        return listener.localAddress
    }

    private func accepted(_ tcp: TCPConnection) {
        guard !stopping else {
            tcp.close()
            return
        }
        guard makeRoom() else {
            statistics.connectionsRefused += 1
            observer.connectionRefused("too_many_connections")
            let refusal = HTTPResponse.jsonError(
                .serviceUnavailable, "too many connections", ["limit": String(configuration.maxConnections)])
            tcp.writeTimeout = configuration.writeTimeout
            tcp.write(HTTPResponseSerializer.serialize(refusal, keepAlive: false, date: date()))
            // A short linger: enough for a request already sent to be drained, so the 503 is not reset away.
            lingerAndClose(tcp, peerEnded: false, limits: ReadLimits(maxBytes: 64 * 1024, deadline: configuration.lingerTimeout))
            return
        }
        let id = nextConnectionID
        nextConnectionID += 1
        statistics.connectionsAccepted += 1
        let events = HTTPServerEvents(
            responded: { [weak self] in self?.statistics.responses += 1 },
            refused: { [weak self] error in self?.requestRefused(error.reason) },
            cutOff: { [weak self] reason in self?.cutOff(Self.label(reason)) },
            closed: { [weak self] id in self?.connectionClosed(id) },
            pausedForWrites: { [weak self] in self?.statistics.readPausesForWrites += 1 })
        let loop = self.loop
        let bound = self.bound
        let connection = HTTPServerConnection(
            id: id, tcp: tcp, router: router, configuration: configuration, events: events,
            date: { [weak self] in self?.date() },
            makeDeliverer: { ticket in
                { response in
                    // From any thread: hop to the loop; dropped if the loop has shut down (so has the socket).
                    loop.execute { bound?.value.connections[id]?.complete(ticket: ticket, with: response) }
                }
            })
        connection.acceptedInTurn = turns?.turns ?? 0
        if !tcp.isClosed { connections[id] = connection }
        openConnectionsChanged()
    }

    /// Whether a new connection may be admitted. Under the cap, yes. At it, connections that are least
    /// use to their clients are closed to make room (see ``HTTPServerConnection/evictionCandidate(now:turn:busyAge:)``),
    /// so a health probe among a flood is served rather than refused. When none may go but some are fresh
    /// (accepted moments ago, not yet read), the new one is admitted over the cap, up to
    /// ``overflowFactor`` times it: the fresh ones are judged once they have had their turn to speak.
    private func makeRoom() -> Bool {
        let now = uv_hrtime()
        let turn = turns?.turns ?? 0
        while connections.count >= configuration.maxConnections {
            guard evictOne(now: now, turn: turn) else {
                let someFresh = connections.values.contains { $0.isFresh(turn: turn) }
                return someFresh && connections.count < configuration.maxConnections * Self.overflowFactor
            }
        }
        return true
    }

    /// How far past the cap fresh connections may take the server, for a moment.
    static let overflowFactor = 4

    /// Closes the connection that is least use to its client; false when none may go.
    private func evictOne(now: UInt64, turn: UInt64) -> Bool {
        let busyAge = UInt64(max(0, configuration.busyEvictionAge.nanosecondsClamped))
        var chosen: (id: UInt64, tier: Int, since: UInt64)?
        for (id, connection) in connections {
            guard let rank = connection.evictionCandidate(now: now, turn: turn, busyAge: busyAge) else { continue }
            // Lowest tier, then the longest in that state; ties by id, so the choice never depends on hash order.
            if let best = chosen, (best.tier, best.since, best.id) <= (rank.tier, rank.since, id) { continue }
            chosen = (id, rank.tier, rank.since)
        }
        guard let chosen, let victim = connections.removeValue(forKey: chosen.id) else { return false }
        victim.evict()
        cutOff("evicted")
        return true
    }

    private func requestRefused(_ reason: String) {
        statistics.refusals[reason, default: 0] += 1
        observer.requestRefused(reason)
    }

    private func cutOff(_ reason: String) {
        statistics.cutOffs[reason, default: 0] += 1
        observer.connectionCutOff(reason)
    }

    private func openConnectionsChanged() {
        guard statistics.openConnections != connections.count else { return }
        statistics.openConnections = connections.count
        observer.openConnections(connections.count)
    }

    private func connectionClosed(_ id: UInt64) {
        connections[id] = nil
        openConnectionsChanged()
        if connections.isEmpty {
            let waiters = closedWaiters
            closedWaiters = []
            for waiter in waiters { waiter.resume() }
        }
    }

    /// Stops listening and drains every connection: idle ones close now, outstanding answers still go out.
    func stop() {
        stopping = true
        listener?.close()
        listener = nil
        turns?.close()
        turns = nil
        for connection in connections.values.sorted(by: { $0.id < $1.id }) { connection.drain() }
    }

    /// Resumes `waiter` once no connection is open.
    func whenAllClosed(_ waiter: CheckedContinuation<Void, Never>) {
        if connections.isEmpty { waiter.resume() } else { closedWaiters.append(waiter) }
    }

    /// Closes every connection at once.
    func abortAll() {
        for connection in connections.values.sorted(by: { $0.id < $1.id }) { connection.abort() }
    }

    var isListening: Bool { listener.map { !$0.isClosed } ?? false }

    /// The Date field, formatted once per second.
    private func date() -> String? {
        guard configuration.sendsDate else { return nil }
        let second = Int(time(nil))
        if second != cachedDate.second {
            cachedDate = (second, HTTPDate.format(secondsSinceEpoch: Int64(second)))
        }
        return cachedDate.text
    }

    private static func label(_ reason: RuntimeError) -> String {
        switch reason {
        case .idleTimeout: return "idle_timeout"
        case .readDeadlineExceeded: return "request_timeout"
        case .writeTimedOut: return "write_timeout"
        case .connectionReset: return "reset"
        case .sizeCapExceeded: return "size_cap"
        case .loopShutDown: return "loop_shutdown"
        default: return "other"
        }
    }
}
