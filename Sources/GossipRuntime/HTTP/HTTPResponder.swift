import Synchronization

/// The way a deferred handler answers: call ``respond(_:)`` once, from any thread or task. Later calls
/// are ignored. A responder dropped without an answer answers 500 itself, so a forgetful handler cannot
/// leave its client (and every request pipelined behind it) waiting for the idle deadline.
public final class HTTPResponder: Sendable {
    private let deliver: Mutex<(@Sendable (HTTPResponse) -> Void)?>

    init(deliver: @escaping @Sendable (HTTPResponse) -> Void) {
        self.deliver = Mutex(deliver)
    }

    /// Sends `response` to the client; returns false when an answer was already given.
    @discardableResult
    public func respond(_ response: HTTPResponse) -> Bool {
        let target = deliver.withLock { slot -> (@Sendable (HTTPResponse) -> Void)? in
            let target = slot
            slot = nil
            return target
        }
        guard let target else { return false }
        target(response)
        return true
    }

    /// Whether an answer has been given.
    public var hasResponded: Bool { deliver.withLock { $0 == nil } }

    deinit {
        respond(.jsonError(.internalServerError, "handler finished without responding"))
    }
}
