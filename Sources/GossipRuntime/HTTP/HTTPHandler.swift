/// The three shapes a route handler can take.
public enum HTTPHandler: Sendable {
    /// Answers at once, on the event-loop thread: keep it short (it holds up every socket on the loop).
    case immediate(@Sendable (HTTPRequest) -> HTTPResponse)
    /// Answers from a task; the response is written back on the loop thread when the task returns.
    case async(@Sendable (HTTPRequest) async -> HTTPResponse)
    /// Called on the loop thread with a ``HTTPResponder`` that may be answered later, from any thread
    /// (e.g. after a round trip through a protocol core).
    case responder(@Sendable (HTTPRequest, HTTPResponder) -> Void)
}
