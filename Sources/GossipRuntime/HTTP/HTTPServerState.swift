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
    private var listener: TCPListener?
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

    init(loop: EventLoop, router: HTTPRouter, configuration: AdminHTTPServerConfiguration) {
        self.loop = loop
        self.router = router
        self.configuration = configuration
    }

    /// Binds and listens; returns the bound address.
    func start() throws(RuntimeError) -> SocketAddress {
        let listener = try TCPListener(loop: loop, bindingTo: configuration.address, backlog: configuration.backlog) { [weak self] tcp in
            guard let self else { return tcp.close() }
            self.accepted(tcp)
        }
        self.listener = listener
        return listener.localAddress
    }

    private func accepted(_ tcp: TCPConnection) {
        guard !stopping else {
            tcp.close()
            return
        }
        guard connections.count < configuration.maxConnections else {
            statistics.connectionsRefused += 1
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
            refused: { [weak self] error in self?.statistics.refusals[error.reason, default: 0] += 1 },
            cutOff: { [weak self] reason in self?.statistics.cutOffs[Self.label(reason), default: 0] += 1 },
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
        if !tcp.isClosed { connections[id] = connection }
        statistics.openConnections = connections.count
    }

    private func connectionClosed(_ id: UInt64) {
        connections[id] = nil
        statistics.openConnections = connections.count
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
