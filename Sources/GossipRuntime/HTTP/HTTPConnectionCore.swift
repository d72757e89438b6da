/// What a connection asks its socket to do.
enum HTTPConnectionAction: Equatable {
    /// Write these bytes (one whole response), in order after earlier writes.
    case write([UInt8])
    /// Write an interim `100 Continue`: the client may send the body it is holding back.
    case writeInterim([UInt8])
    /// Close once every earlier write has been flushed; nothing more will be read or written.
    case close
}

/// The HTTP side of one admin connection, without I/O: bytes in, responses out, strictly in request
/// order. Pipelined requests wait in the parser (bounded by its limits) while one request is answered;
/// a deferred answer (async or responder handler) holds the line until ``complete(ticket:with:into:)``.
///
/// Loop-confined: every method is called on the event-loop thread. Deferred answers arrive from any
/// thread through the closure ``makeDeliverer`` builds, whose job is to hop back to the loop thread and
/// call ``complete(ticket:with:into:)``.
final class HTTPConnectionCore {
    private let router: HTTPRouter
    private let parser: HTTPRequestParser
    private let date: () -> String?
    /// Builds the thread-safe callback a deferred handler answers through, for a given ticket.
    private let makeDeliverer: (UInt64) -> @Sendable (HTTPResponse) -> Void

    /// The deferred request being answered: its ticket, whether it allows keep-alive, whether it is HEAD.
    private var waiting: (ticket: UInt64, keepAlive: Bool, head: Bool)?
    private var nextTicket: UInt64 = 1
    /// Set when the server stops taking requests on this connection (shutdown, connection cap).
    private var draining = false
    private(set) var isClosed = false
    /// Why the connection was refused, if it was.
    private(set) var refusal: HTTPRequestError?
    /// Requests answered on this connection.
    private(set) var answered = 0
    /// Answer bytes that may wait unsent before queued requests are left queued; see ``resume(into:)``.
    var writeBudget = Int.max
    /// Answer bytes the socket has not sent yet (the owner's count); the core adds what it emits itself.
    var unsentBytes: () -> Int = { 0 }
    private var emittedThisPump = 0

    init(
        router: HTTPRouter, limits: HTTPRequestLimits, date: @escaping () -> String?,
        makeDeliverer: @escaping (UInt64) -> @Sendable (HTTPResponse) -> Void
    ) {
        self.router = router
        self.parser = HTTPRequestParser(limits: limits)
        self.date = date
        self.makeDeliverer = makeDeliverer
    }

    /// Whether the connection is between requests: nothing partial read, nothing being answered. The idle
    /// deadline applies only then; a request being answered is bounded by its handler, not by the client.
    var isIdle: Bool { waiting == nil && !parser.hasPartialRequest && parser.queuedRequestCount == 0 }

    /// Whether parsed requests wait to be answered (held back by a deferred answer or the write budget).
    var hasQueuedRequests: Bool { parser.queuedRequestCount > 0 }

    /// Whether a deferred answer is outstanding.
    var isWaitingForHandler: Bool { waiting != nil }

    /// Bytes from the socket.
    func receive(_ bytes: UnsafeRawBufferPointer, into actions: inout [HTTPConnectionAction]) {
        guard !isClosed else { return }
        parser.consume(bytes)
        pump(into: &actions)
        // A client waiting for "100 Continue" before its body gets it only when its request is the one
        // being read next: an interim answer must not land between the answers of earlier requests.
        if parser.takeContinueRequest(), !isClosed, waiting == nil, parser.queuedRequestCount == 0 {
            actions.append(.writeInterim(Self.continueBytes))
        }
    }

    private static let continueBytes = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)

    func receive(_ bytes: [UInt8], into actions: inout [HTTPConnectionAction]) {
        bytes.withUnsafeBytes { receive($0, into: &actions) }
    }

    /// A deferred answer, on the loop thread. Stale tickets (the connection moved on or closed) are ignored.
    func complete(ticket: UInt64, with response: HTTPResponse, into actions: inout [HTTPConnectionAction]) {
        guard !isClosed, let current = waiting, current.ticket == ticket else { return }
        waiting = nil
        send(response, keepAlive: current.keepAlive, head: current.head, into: &actions)
        pump(into: &actions)
    }

    /// Stops taking new requests: the one being answered (if any) still gets its answer, with
    /// `Connection: close`; an idle connection closes at once.
    func drain(into actions: inout [HTTPConnectionAction]) {
        guard !isClosed else { return }
        draining = true
        if waiting == nil { finish(into: &actions) }
    }

    /// Answers queued requests again after ``writeBudget`` held them back and the socket caught up.
    func resume(into actions: inout [HTTPConnectionAction]) {
        guard !isClosed else { return }
        pump(into: &actions)
    }

    /// Answers queued requests until one is deferred, the queue is empty, the connection ends, or the
    /// unsent answers exceed the write budget (a client that does not read its answers).
    private func pump(into actions: inout [HTTPConnectionAction]) {
        emittedThisPump = 0
        while !isClosed, waiting == nil, !draining, unsentBytes() + emittedThisPump <= writeBudget {
            let request: HTTPRequest
            do {
                guard let next = try parser.nextRequest() else { return }
                request = next
            } catch {
                refusal = error
                let response = HTTPResponse.jsonError(error.status, error.reason.replacingUnderscores, ["detail": error.description])
                send(response, keepAlive: false, head: false, into: &actions)
                return
            }
            let ticket = nextTicket
            nextTicket &+= 1
            let head = request.method == .HEAD
            if let response = router.dispatch(request, later: makeDeliverer(ticket)) {
                send(response, keepAlive: request.keepAlive, head: head, into: &actions)
            } else {
                waiting = (ticket, request.keepAlive, head)
            }
        }
        if draining, waiting == nil { finish(into: &actions) }
    }

    private func send(_ response: HTTPResponse, keepAlive: Bool, head: Bool, into actions: inout [HTTPConnectionAction]) {
        let stayOpen = keepAlive && !draining
        answered += 1
        let bytes = HTTPResponseSerializer.serialize(response, keepAlive: stayOpen, omitBody: head, date: date())
        emittedThisPump += bytes.count
        actions.append(.write(bytes))
        if !stayOpen { finish(into: &actions) }
    }

    private func finish(into actions: inout [HTTPConnectionAction]) {
        guard !isClosed else { return }
        isClosed = true
        waiting = nil
        actions.append(.close)
    }
}

extension String {
    /// `headers_too_large` -> `headers too large`, for the human-readable error field.
    fileprivate var replacingUnderscores: String { String(map { $0 == "_" ? " " : $0 }) }
}
