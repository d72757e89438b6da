import Synchronization

/// What the router found for a method and path.
public enum HTTPRouteResolution: Sendable {
    case handler(HTTPHandler)
    /// No route has this path.
    case notFound
    /// The path exists, but not for this method; `allowed` lists the methods it has (for the Allow field).
    case methodNotAllowed(allowed: [HTTPMethod])
}

/// Exact-path routes, registered from any thread at any time (the layers above add theirs while the
/// server runs). A HEAD request is served by the GET route of its path unless a HEAD route exists; the
/// server then sends the headers without the body.
public final class HTTPRouter: Sendable {
    private let routes = Mutex<[String: [HTTPMethod: HTTPHandler]]>([:])

    public init() {}

    /// Registers (or replaces) the handler for `method` and `path`. `path` is compared exactly with the
    /// request's path (no query, no trailing-slash folding) and should start with `/`.
    public func register(_ method: HTTPMethod, _ path: String, _ handler: HTTPHandler) {
        routes.withLock { $0[path, default: [:]][method] = handler }
    }

    /// A handler answering at once on the loop thread.
    public func route(_ method: HTTPMethod, _ path: String, _ handler: @escaping @Sendable (HTTPRequest) -> HTTPResponse) {
        register(method, path, .immediate(handler))
    }

    /// A handler answering from a task; the server writes its result back on the loop thread.
    public func route(_ method: HTTPMethod, _ path: String, _ handler: @escaping @Sendable (HTTPRequest) async -> HTTPResponse) {
        register(method, path, .async(handler))
    }

    /// A handler given a responder to answer later from any thread.
    public func route(_ method: HTTPMethod, _ path: String, responder handler: @escaping @Sendable (HTTPRequest, HTTPResponder) -> Void) {
        register(method, path, .responder(handler))
    }

    /// Removes the handler for `method` and `path`, if any.
    public func removeRoute(_ method: HTTPMethod, _ path: String) {
        routes.withLock { table in
            table[path]?[method] = nil
            if table[path]?.isEmpty == true { table[path] = nil }
        }
    }

    /// Every registered path with its methods, sorted by path.
    public var registeredRoutes: [(path: String, methods: [HTTPMethod])] {
        routes.withLock { table in
            table.keys.sorted().map { path in (path, Self.ordered(table[path].map { Array($0.keys) } ?? [])) }
        }
    }

    /// The handler for `method` and `path`, or why there is none.
    public func resolve(_ method: HTTPMethod, path: String) -> HTTPRouteResolution {
        routes.withLock { table in
            guard let methods = table[path] else { return .notFound }
            if let handler = methods[method] { return .handler(handler) }
            if method == .HEAD, let handler = methods[.GET] { return .handler(handler) }
            var allowed = Array(methods.keys)
            if methods[.GET] != nil, methods[.HEAD] == nil { allowed.append(.HEAD) }
            return .methodNotAllowed(allowed: Self.ordered(allowed))
        }
    }

    /// Answers `request`. Returns the response when it is known at once (an immediate handler, 404, 405);
    /// otherwise returns nil and calls `later` exactly once, from whatever thread the handler answers on.
    func dispatch(_ request: HTTPRequest, later: @escaping @Sendable (HTTPResponse) -> Void) -> HTTPResponse? {
        switch resolve(request.method, path: request.path) {
        case .notFound:
            return .jsonError(.notFound, "not found", ["path": request.path])
        case .methodNotAllowed(let allowed):
            var response = HTTPResponse.jsonError(
                .methodNotAllowed, "method not allowed", ["method": request.method.rawValue, "path": request.path])
            response.headers.replaceOrAdd(name: "Allow", value: allowed.map(\.rawValue).joined(separator: ", "))
            return response
        case .handler(.immediate(let handler)):
            return handler(request)
        case .handler(.async(let handler)):
            Task {
                later(await handler(request))
            }
            return nil
        case .handler(.responder(let handler)):
            handler(request, HTTPResponder(deliver: later))
            return nil
        }
    }

    /// Methods in a stable order (the declaration order of HTTPMethod), not hash order.
    private static func ordered(_ methods: [HTTPMethod]) -> [HTTPMethod] {
        HTTPMethod.allCases.filter(methods.contains)
    }
}
