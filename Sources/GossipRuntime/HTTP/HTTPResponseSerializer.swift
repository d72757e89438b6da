/// Writes a response as HTTP/1.1 bytes.
enum HTTPResponseSerializer {
    /// Fields the serializer owns; a handler's values under these names are dropped.
    private static let ownedFields = ["Content-Length", "Connection", "Date", "Transfer-Encoding"]

    /// Status line, the handler's fields (minus the owned ones and any with a CR or LF, which would let a
    /// value inject lines), Content-Length, Connection, Date when given, a blank line, then the body unless
    /// `omitBody` (a HEAD request; Content-Length still says what GET would send).
    static func serialize(_ response: HTTPResponse, keepAlive: Bool, omitBody: Bool = false, date: String? = nil) -> [UInt8] {
        var head = "HTTP/1.1 \(response.status.code) \(response.status.reason)\r\n"
        for field in response.headers
        where !ownedFields.contains(where: { HTTPHeaders.namesMatch($0, field.name) }) && isSafe(field) {
            head += "\(field.name): \(field.value)\r\n"
        }
        head += "Content-Length: \(response.body.count)\r\n"
        head += keepAlive ? "Connection: keep-alive\r\n" : "Connection: close\r\n"
        if let date { head += "Date: \(date)\r\n" }
        head += "\r\n"
        var bytes = Array(head.utf8)
        if !omitBody { bytes.append(contentsOf: response.body) }
        return bytes
    }

    private static func isSafe(_ field: HTTPHeaderField) -> Bool {
        !field.name.isEmpty
            && !field.name.utf8.contains { $0 == 13 || $0 == 10 || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: " ") }
            && !field.value.utf8.contains { $0 == 13 || $0 == 10 }
    }
}
