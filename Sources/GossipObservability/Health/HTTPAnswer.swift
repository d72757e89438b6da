/// A complete HTTP answer the admin server writes as it is: status code, content type, body.
public struct HTTPAnswer: Sendable, Equatable {
    public var status: Int
    public var contentType: String
    public var body: [UInt8]

    public init(status: Int, contentType: String, body: [UInt8]) {
        self.status = status
        self.contentType = contentType
        self.body = body
    }

    public init(status: Int, json: String) {
        self.init(status: status, contentType: Self.jsonContentType, body: Array(json.utf8))
    }

    public static let jsonContentType = "application/json; charset=utf-8"

    /// The body as text.
    public var bodyText: String { String(decoding: body, as: UTF8.self) }
}
