/// The request methods the admin server routes. Anything else the parser knows (CONNECT, WebDAV, ...) is
/// refused with ``HTTPRequestError/unsupportedMethod(_:)`` before a handler sees it.
public enum HTTPMethod: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case GET, HEAD, POST, PUT, DELETE, PATCH, OPTIONS

    public var description: String { rawValue }
}
