/// A complete request as the parser delivered it: bounded by ``HTTPRequestLimits`` before it exists.
public struct HTTPRequest: Sendable, Hashable {
    public var method: HTTPMethod
    /// The request target exactly as sent, e.g. `/v1/members?state=alive`.
    public var target: String
    /// The path part of the target, e.g. `/v1/members` (absolute-form targets are reduced to their path).
    public var path: String
    /// The query part without the `?`, or nil when the target has none.
    public var query: String?
    public var versionMajor: Int
    public var versionMinor: Int
    public var headers: HTTPHeaders
    public var body: [UInt8]
    /// Whether the client allows the connection to stay open after the answer (`http_should_keep_alive`).
    public var keepAlive: Bool

    public init(
        method: HTTPMethod, target: String, path: String? = nil, query: String? = nil,
        versionMajor: Int = 1, versionMinor: Int = 1, headers: HTTPHeaders = [:], body: [UInt8] = [],
        keepAlive: Bool = true
    ) {
        self.method = method
        self.target = target
        if let path {
            self.path = path
            self.query = query
        } else if let mark = target.firstIndex(of: "?") {
            self.path = String(target[..<mark])
            self.query = query ?? String(target[target.index(after: mark)...])
        } else {
            self.path = target
            self.query = query
        }
        self.versionMajor = versionMajor
        self.versionMinor = versionMinor
        self.headers = headers
        self.body = body
        self.keepAlive = keepAlive
    }

    /// The body decoded as UTF-8 (invalid sequences replaced).
    public var bodyText: String { String(decoding: body, as: UTF8.self) }

    /// The query's `name=value` pairs in order, `+` and `%XX` decoded. Malformed escapes are kept as text.
    public var queryItems: [(name: String, value: String)] {
        guard let query, !query.isEmpty else { return [] }
        return query.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            if let equals = pair.firstIndex(of: "=") {
                return (Self.formDecode(pair[..<equals]), Self.formDecode(pair[pair.index(after: equals)...]))
            }
            return (Self.formDecode(pair), "")
        }
    }

    /// The first query value called `name`, decoded, or nil.
    public func queryValue(_ name: String) -> String? {
        queryItems.first { $0.name == name }?.value
    }

    private static func formDecode(_ text: Substring) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = Array(text.utf8)[...]
        while let byte = iterator.popFirst() {
            switch byte {
            case UInt8(ascii: "+"):
                bytes.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                if iterator.count >= 2, let high = hexValue(iterator[iterator.startIndex]),
                    let low = hexValue(iterator[iterator.startIndex + 1])
                {
                    bytes.append(high << 4 | low)
                    iterator = iterator.dropFirst(2)
                } else {
                    bytes.append(byte)
                }
            default:
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
