/// Why a request was refused. Each case maps to the status the server answers with (``status``) and a
/// short stable label for counting refusals (``reason``); the connection is closed after the answer.
public enum HTTPRequestError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The bytes are not HTTP/1.x; `name` and `detail` are the parser's errno name and description,
    /// e.g. `HPE_INVALID_METHOD`, "invalid HTTP method".
    case malformed(name: String, detail: String)
    /// Request line and header fields exceed `limit` bytes.
    case headersTooLarge(limit: Int)
    /// More than `limit` header fields.
    case tooManyHeaders(limit: Int)
    /// The body (announced or received) exceeds `limit` bytes.
    case bodyTooLarge(limit: Int)
    /// A method the server does not route, e.g. CONNECT or PROPFIND.
    case unsupportedMethod(String)
    /// An HTTP version other than 1.x.
    case unsupportedVersion(major: Int, minor: Int)
    /// More pipelined requests (or bytes of them) waiting than the limits allow.
    case tooManyPipelinedRequests(limit: Int)

    /// The status the server answers this refusal with.
    public var status: HTTPStatus {
        switch self {
        case .malformed: return .badRequest
        case .headersTooLarge, .tooManyHeaders: return .requestHeaderFieldsTooLarge
        case .bodyTooLarge: return .payloadTooLarge
        case .unsupportedMethod: return .notImplemented
        case .unsupportedVersion: return .httpVersionNotSupported
        case .tooManyPipelinedRequests: return .tooManyRequests
        }
    }

    /// A short label for metrics and logs.
    public var reason: String {
        switch self {
        case .malformed: return "malformed"
        case .headersTooLarge: return "headers_too_large"
        case .tooManyHeaders: return "too_many_headers"
        case .bodyTooLarge: return "body_too_large"
        case .unsupportedMethod: return "unsupported_method"
        case .unsupportedVersion: return "unsupported_version"
        case .tooManyPipelinedRequests: return "too_many_pipelined"
        }
    }

    public var description: String {
        switch self {
        case .malformed(let name, let detail): return "malformed request (\(name): \(detail))"
        case .headersTooLarge(let limit): return "request headers exceed \(limit) bytes"
        case .tooManyHeaders(let limit): return "request has more than \(limit) header fields"
        case .bodyTooLarge(let limit): return "request body exceeds \(limit) bytes"
        case .unsupportedMethod(let method): return "method \(method) is not supported"
        case .unsupportedVersion(let major, let minor): return "HTTP/\(major).\(minor) is not supported; use HTTP/1.1"
        case .tooManyPipelinedRequests(let limit): return "more than \(limit) pipelined requests waiting"
        }
    }
}
