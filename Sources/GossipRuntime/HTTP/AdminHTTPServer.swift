import ProtocolSupport

/// The node's admin HTTP server: HTTP/1.1 with keep-alive and pipelining on the runtime's event loop,
/// requests parsed by Debian's http_parser under ``HTTPRequestLimits``, answers from an ``HTTPRouter``.
///
/// ```swift
/// let server = try await AdminHTTPServer.start(on: loop)              // 127.0.0.1, OS-chosen port
/// server.route(.GET, "/metrics") { _ in HTTPResponse(contentType: "text/plain; version=0.0.4", body: text) }
/// server.route(.POST, "/v1/broadcast") { request async in await node.broadcast(request.body) }
/// print(server.localAddress)                                          // 127.0.0.1:54321
/// await server.stop()
/// ```
///
/// Unknown paths get 404 with `{"error":"not found","path":"..."}`, a known path with another method 405;
/// a malformed request 400, oversized headers 431, an oversized body 413, then the connection closes.
/// Routes may be added or removed at any time from any thread. Shutting the loop down closes the server
/// with it; ``stop(timeout:)`` first lets outstanding answers go out.
public final class AdminHTTPServer: Sendable {
    public let loop: EventLoop
    /// The routes; the same object the server was started with.
    public let router: HTTPRouter
    /// The address the server listens on, with the OS-chosen port when configured with port 0.
    public let localAddress: SocketAddress
    public let configuration: AdminHTTPServerConfiguration
    private let state: LoopBound<HTTPServerState>

    private init(loop: EventLoop, router: HTTPRouter, localAddress: SocketAddress, configuration: AdminHTTPServerConfiguration, state: LoopBound<HTTPServerState>) {
        self.loop = loop
        self.router = router
        self.localAddress = localAddress
        self.configuration = configuration
        self.state = state
    }

    /// Binds `configuration.address` on `loop` and starts serving `router`; `observer` hears of refusals,
    /// cut-offs and the open connection count as they happen (on the loop thread).
    /// - Throws: ``RuntimeError/addressInUse(_:)`` naming the address, ``RuntimeError/loopShutDown``, or
    ///   another ``RuntimeError`` from binding.
    public static func start(
        on loop: EventLoop, configuration: AdminHTTPServerConfiguration = AdminHTTPServerConfiguration(),
        router: HTTPRouter = HTTPRouter(), observer: AdminHTTPServerObserver = .none
    ) async throws -> AdminHTTPServer {
        let (state, address) = try await loop.submit { () throws -> (LoopBound<HTTPServerState>, SocketAddress) in
            let server = HTTPServerState(loop: loop, router: router, configuration: configuration, observer: observer)
            let bound = LoopBound(server, loop: loop)
            server.bound = bound
            return (bound, try server.start())
        }
        return AdminHTTPServer(loop: loop, router: router, localAddress: address, configuration: configuration, state: state)
    }

    /// Registers a handler that answers at once on the loop thread (keep it short).
    public func route(_ method: HTTPMethod, _ path: String, _ handler: @escaping @Sendable (HTTPRequest) -> HTTPResponse) {
        router.route(method, path, handler)
    }

    /// Registers a handler that answers from a task; its result is written back on the loop thread.
    public func route(_ method: HTTPMethod, _ path: String, _ handler: @escaping @Sendable (HTTPRequest) async -> HTTPResponse) {
        router.route(method, path, handler)
    }

    /// Registers a handler given an ``HTTPResponder`` to answer later, from any thread.
    public func route(_ method: HTTPMethod, _ path: String, responder handler: @escaping @Sendable (HTTPRequest, HTTPResponder) -> Void) {
        router.route(method, path, responder: handler)
    }

    /// Removes a route.
    public func removeRoute(_ method: HTTPMethod, _ path: String) {
        router.removeRoute(method, path)
    }

    /// Stops listening, closes idle connections, lets outstanding answers go out (each with
    /// `Connection: close`), and returns once every connection has closed; connections still open after
    /// `timeout` are closed unanswered. Idempotent; returns at once when the loop is already shut down.
    public func stop(timeout: Duration = .seconds(5)) async {
        let state = self.state
        guard (try? await loop.submit { state.value.stop() }) != nil else { return }
        await withTaskGroup(of: Bool.self) { group in
            group.addTask { await Self.allClosed(state) }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return false
            }
            let drained = await group.next() ?? true
            // The group waits for the drain child on exit: past the timeout, closing what is left ends it.
            if !drained { _ = try? await state.loop.submit { state.value.abortAll() } }
            group.cancelAll()
        }
    }

    /// True once every connection has closed (or the loop is gone).
    private static func allClosed(_ state: LoopBound<HTTPServerState>) async -> Bool {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            if !state.loop.execute({ state.value.whenAllClosed(continuation) }) { continuation.resume() }
        }
        return true
    }

    /// The counters so far.
    /// - Throws: ``RuntimeError/loopShutDown`` once the loop has shut down.
    public func statistics() async throws -> AdminHTTPServerStatistics {
        let state = self.state
        return try await loop.submit { state.value.statistics }
    }

    /// Whether the server still accepts connections.
    public func isListening() async -> Bool {
        let state = self.state
        return (try? await loop.submit { state.value.isListening }) ?? false
    }
}
