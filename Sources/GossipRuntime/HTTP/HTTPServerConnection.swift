import CLibUV

/// One accepted admin connection on the loop thread: the runtime's TCP connection and the HTTP
/// connection core, and the reading mode that follows the core's state.
///
/// Reading modes: between requests the idle timeout applies; once a request has started it must finish
/// within the request timeout; while a handler's deferred answer is outstanding the connection is not
/// read at all (pipelined requests wait in the kernel, and a slow handler is not mistaken for an idle
/// client). A client that sends faster than it reads its answers is not read either while more than
/// ``AdminHTTPServerConfiguration/maxPendingWriteBytes`` of answers wait to be sent, so neither side's
/// backlog grows in the server's memory. After the last answer the connection lingers: it stops writing
/// and discards input until the client closes or the linger bound is reached, so the client receives the
/// answer before the close.
final class HTTPServerConnection {
    private enum Mode: Equatable { case idle, request, waiting, writeBlocked, lingering, closed }

    let id: UInt64
    private let tcp: TCPConnection
    private let configuration: AdminHTTPServerConfiguration
    private let events: HTTPServerEvents
    private let core: HTTPConnectionCore
    private var mode: Mode? {
        didSet { if mode != oldValue { modeSince = uv_hrtime() } }
    }
    /// When the current mode began (uv_hrtime nanoseconds): how long the connection has been idle, or its
    /// request in progress, or its answers unread.
    private var modeSince = uv_hrtime()
    private var peerEnded = false
    private var actions: [HTTPConnectionAction] = []

    init(
        id: UInt64, tcp: TCPConnection, router: HTTPRouter, configuration: AdminHTTPServerConfiguration,
        events: HTTPServerEvents, date: @escaping () -> String?,
        makeDeliverer: @escaping (UInt64) -> @Sendable (HTTPResponse) -> Void
    ) {
        self.id = id
        self.tcp = tcp
        self.configuration = configuration
        self.events = events
        spokeBeforeAccept = tcp.hasUnreadBytes
        core = HTTPConnectionCore(router: router, limits: configuration.limits, date: date, makeDeliverer: makeDeliverer)
        core.writeBudget = configuration.maxPendingWriteBytes
        core.unsentBytes = { [weak tcp] in tcp?.pendingWriteBytes ?? 0 }
        tcp.writeTimeout = configuration.writeTimeout
        tcp.onClose = { [weak self] reason in self?.closed(reason) }
        update()
    }

    /// A deferred answer for `ticket`, now on the loop thread.
    func complete(ticket: UInt64, with response: HTTPResponse) {
        core.complete(ticket: ticket, with: response, into: &actions)
        perform()
    }

    /// Stops taking requests: an outstanding answer still goes out (with `Connection: close`).
    func drain() {
        core.drain(into: &actions)
        perform()
    }

    /// Closes at once, answered or not.
    func abort() {
        tcp.close()
    }

    /// How readily this connection gives way to a new one when the server is full; nil: it does not.
    /// Tier 0 is an idle keep-alive connection (or one that has sent nothing yet), the longest idle first;
    /// tier 1 a request still arriving, or answers the client is not reading, once older than `busyAge`
    /// (a legitimate admin request on a working network takes milliseconds). A connection waiting for
    /// its own handler, or lingering after its last answer, is not evicted: both end on their own soon.
    func evictionCandidate(now: UInt64, turn: UInt64, busyAge: UInt64) -> (tier: Int, since: UInt64)? {
        switch mode {
        case .idle?: return isFresh(turn: turn) ? nil : (0, modeSince)
        case .request?, .writeBlocked?: return now &- modeSince >= busyAge ? (1, modeSince) : nil
        default: return nil
        }
    }

    /// Holding a request the loop has not read yet: it had bytes waiting when accepted, and the loop has
    /// not polled it since (accepted in this turn or the one before, see ``LoopTurnCounter``). A flood
    /// accepted in one batch must not evict a probe accepted in the same batch before its request is read;
    /// a silent connection of the flood has no such claim.
    func isFresh(turn: UInt64) -> Bool {
        !heardFrom && spokeBeforeAccept && turn &- acceptedInTurn < 2
    }

    /// The loop turn the connection was accepted in.
    var acceptedInTurn: UInt64 = 0
    private var heardFrom = false
    private let spokeBeforeAccept: Bool

    /// Closes to make room for a new connection. An idle keep-alive connection may be closed at any time
    /// (RFC 9112 9.8); its client retries on a new one.
    func evict() {
        mode = .closed
        tcp.close()
    }

    // MARK: reading

    private func received(_ bytes: UnsafeRawBufferPointer) {
        heardFrom = true
        core.receive(bytes, into: &actions)
        perform()
    }

    private func readEnded(_ end: ReadEnd) {
        switch end {
        case .endOfStream:
            // The client has sent everything; requests already read are still answered.
            peerEnded = true
            if mode == .lingering { tcp.close() } else { update() }
        case .failed:
            // The runtime has closed the connection; `closed` counts the reason.
            break
        }
    }

    /// A write reached the kernel: answers held back by the write budget may go now.
    private func writeFinished() {
        if mode == .writeBlocked { perform() }
    }

    // MARK: acting on the core

    private func perform() {
        // Bounded: each round answers at least one queued request, or stops.
        for _ in 0...configuration.limits.maxQueuedRequests + 1 {
            flushActions()
            guard core.hasQueuedRequests, !core.isWaitingForHandler, !core.isClosed, !tcp.isClosed,
                tcp.pendingWriteBytes <= configuration.maxPendingWriteBytes
            else { break }
            core.resume(into: &actions)
            if actions.isEmpty { break }
        }
        update()
    }

    private func flushActions() {
        for action in actions {
            switch action {
            case .write(let bytes):
                tcp.write(bytes) { [weak self] _ in self?.writeFinished() }
                events.responded()
            case .writeInterim(let bytes):
                tcp.write(bytes)
            case .close:
                linger()
            }
        }
        actions.removeAll(keepingCapacity: true)
        if let refusal = core.refusal, mode != .closed, !refusalCounted {
            refusalCounted = true
            events.refused(refusal)
        }
    }

    private var refusalCounted = false

    /// Moves the TCP reading to match the core: idle, mid-request, or waiting for a handler.
    private func update() {
        guard mode != .lingering, mode != .closed, !tcp.isClosed else { return }
        if peerEnded, !core.isWaitingForHandler, !core.hasQueuedRequests {
            // Everything complete the client sent has been answered (a partial request never will be),
            // and it will send no more.
            linger()
            return
        }
        let wanted: Mode
        if core.isWaitingForHandler {
            wanted = .waiting
        } else if tcp.pendingWriteBytes > configuration.maxPendingWriteBytes {
            wanted = .writeBlocked
        } else {
            wanted = core.isIdle ? .idle : .request
        }
        guard wanted != mode else { return }
        mode = wanted
        switch wanted {
        case .waiting:
            tcp.stopReading()
        case .writeBlocked:
            events.pausedForWrites()
            tcp.stopReading()
        case .idle, .request:
            let limits = wanted == .idle
                ? ReadLimits(maxBytes: Int.max, idleTimeout: configuration.idleTimeout)
                : ReadLimits(maxBytes: Int.max, deadline: configuration.requestTimeout, idleTimeout: configuration.idleTimeout)
            startReading(limits)
        case .lingering, .closed:
            break
        }
    }

    private func startReading(_ limits: ReadLimits) {
        tcp.startReading(
            limits: limits,
            onData: { [weak self] bytes in self?.received(bytes) },
            onEnd: { [weak self] end in self?.readEnded(end) })
    }

    /// Half-closes after the queued answers and discards input until the client closes or the bound is hit.
    private func linger() {
        guard mode != .lingering, mode != .closed, !tcp.isClosed else { return }
        mode = .lingering
        lingerAndClose(tcp, peerEnded: peerEnded, limits: ReadLimits(maxBytes: configuration.lingerMaxBytes, deadline: configuration.lingerTimeout))
    }

    private func closed(_ reason: RuntimeError?) {
        // A linger ends by its own bound on purpose; any other reason is a cut-off (timeouts, resets,
        // failed writes, loop shutdown).
        if let reason, mode != .lingering { events.cutOff(reason) }
        mode = .closed
        events.closed(id)
    }
}

/// What a connection reports to its server (loop thread).
struct HTTPServerEvents {
    var responded: () -> Void
    var refused: (HTTPRequestError) -> Void
    var cutOff: (RuntimeError) -> Void
    var closed: (UInt64) -> Void
    var pausedForWrites: () -> Void
}

/// Half-closes `tcp` once its queued writes are out, then discards input until the peer closes or
/// `limits` are exhausted, and closes. Closing with unread input would make the kernel send a reset,
/// which can destroy the answer before the client has read it.
func lingerAndClose(_ tcp: TCPConnection, peerEnded: Bool, limits: ReadLimits) {
    if peerEnded {
        tcp.shutdownWrite { _ in tcp.close() }
        return
    }
    tcp.shutdownWrite()
    tcp.startReading(limits: limits, onData: { _ in }, onEnd: { _ in tcp.close() })
}
