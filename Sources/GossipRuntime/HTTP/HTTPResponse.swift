/// What a handler answers: status, header fields and body. The server adds Content-Length, Connection
/// and Date itself (values a handler sets under those names are replaced).
public struct HTTPResponse: Sendable, Hashable {
    public var status: HTTPStatus
    public var headers: HTTPHeaders
    public var body: [UInt8]

    /// A response with raw body bytes; `contentType`, when given, becomes the Content-Type field.
    public init(status: HTTPStatus = .ok, contentType: String? = nil, headers: HTTPHeaders = [:], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
        if let contentType { self.headers.replaceOrAdd(name: "Content-Type", value: contentType) }
    }

    /// A response with a text body, `text/plain; charset=utf-8` unless told otherwise.
    public init(status: HTTPStatus = .ok, contentType: String = "text/plain; charset=utf-8", headers: HTTPHeaders = [:], body: String) {
        self.init(status: status, contentType: contentType, headers: headers, body: Array(body.utf8))
    }

    /// A response whose body is already-encoded JSON text.
    public static func json(_ status: HTTPStatus = .ok, _ json: String) -> HTTPResponse {
        HTTPResponse(status: status, contentType: "application/json", body: json)
    }

    /// A short JSON error: `{"error":"<message>", "<key>":"<value>"...}` with every string escaped.
    public static func jsonError(_ status: HTTPStatus, _ message: String, _ details: KeyValuePairs<String, String> = [:]) -> HTTPResponse {
        var text = "{\"error\":" + JSONText.quoted(message)
        for (key, value) in details {
            text += "," + JSONText.quoted(key) + ":" + JSONText.quoted(value)
        }
        text += "}"
        return json(status, text)
    }

    /// The Content-Type field, if set.
    public var contentType: String? { headers["Content-Type"] }

    /// The body decoded as UTF-8 (invalid sequences replaced).
    public var bodyText: String { String(decoding: body, as: UTF8.self) }
}

/// Minimal JSON string encoding for the server's own error bodies.
public enum JSONText {
    /// `text` as a JSON string literal with quotes, backslashes and control characters escaped.
    public static func quoted(_ text: String) -> String {
        var out = "\""
        out.reserveCapacity(text.utf8.count + 2)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
        return out
    }
}
