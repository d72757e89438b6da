/// What the admin server reports as it happens, for the embedder's metrics and logs. Every call runs on
/// the event-loop thread, so keep it short (count, maybe log through a rate limiter).
///
/// ``AdminHTTPServerStatistics`` holds the same counts for asking later; the observer is for exporting them
/// as they change without polling.
public struct AdminHTTPServerObserver: Sendable {
    /// A connection was refused at accept, with the reason (`too_many_connections`).
    public var connectionRefused: @Sendable (_ reason: String) -> Void
    /// A connection was closed by the server before its client was done, with the cause: `evicted` (to
    /// make room while full), `idle_timeout`, `request_timeout`, `write_timeout`, `reset`, `size_cap`,
    /// `loop_shutdown`, `other`.
    public var connectionCutOff: @Sendable (_ reason: String) -> Void
    /// A request was refused, with ``HTTPRequestError/reason`` (`malformed`, `headers_too_large`...).
    public var requestRefused: @Sendable (_ reason: String) -> Void
    /// The number of open connections changed.
    public var openConnections: @Sendable (_ count: Int) -> Void

    public init(
        connectionRefused: @escaping @Sendable (_ reason: String) -> Void = { _ in },
        connectionCutOff: @escaping @Sendable (_ reason: String) -> Void = { _ in },
        requestRefused: @escaping @Sendable (_ reason: String) -> Void = { _ in },
        openConnections: @escaping @Sendable (_ count: Int) -> Void = { _ in }
    ) {
        self.connectionRefused = connectionRefused
        self.connectionCutOff = connectionCutOff
        self.requestRefused = requestRefused
        self.openConnections = openConnections
    }

    /// Reports nothing.
    public static let none = AdminHTTPServerObserver()
}
