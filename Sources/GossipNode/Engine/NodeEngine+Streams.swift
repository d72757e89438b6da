import GossipRuntime
import Membership
import GossipNodeCore
import ProtocolSupport

/// memberlist's TCP streams on the runtime: one request per connection, the reply on the same connection.
///
/// memberlist streams carry no length prefix (except encrypted ones), so every read is fed to the stream's
/// ``StreamFrameAssembler``, which says when the bytes so far form a whole message. Reads are capped in
/// bytes and time: a peer that sends too much or stalls is cut off, and the stream fails. Inbound streams
/// are also held to ``InboundStreamLimits`` by ``InboundStreamBudget``: how many at once, and the bytes
/// they buffer together.
///
/// Every callback of a stream's connection holds the engine weakly: a connection's callbacks may still run
/// after `stop()` closed it (a write completing as cancelled, a close callback in a later loop turn), and
/// the engine may be gone by then.
extension NodeEngine {
    // MARK: Outbound (push/pull, TCP ping, reliable user messages)

    func openStream(_ request: StreamRequest) {
        let deadline = loop.now + request.timeout
        let connection = TCPConnection.connect(loop: loop, to: request.to, timeout: request.timeout) { [weak self] result in
            guard let self else { return }
            switch result {
            case .failure(let error):
                self.finishOutbound(request.id, .failed(Self.streamFailure(error)))
            case .success(let connection):
                // A one-way stream succeeds once both happened, in either order: the write completed and the
                // peer closed (libuv may report the peer's close before the write's own callback).
                var written = false
                var peerClosed = false
                connection.write(request.request) { [weak self] result in
                    guard let self else { return }
                    if case .failure(let error) = result {
                        self.finishOutbound(request.id, .failed(Self.streamFailure(error)))
                    } else {
                        written = true
                        if peerClosed { self.finishOutbound(request.id, .reply([])) }
                    }
                }
                let remaining = deadline.duration(since: self.loop.now)
                guard request.expectsReply else {
                    // A one-way stream is done when the peer has read it and closed (memberlist closes after
                    // reading a user message). A write that merely reached the kernel is not delivery: a
                    // peer over its inbound-stream cap closes such a stream unread (a reset here), and the
                    // node core's outbound ledger must see the stream until the peer took it in.
                    connection.startReading(
                        limits: ReadLimits(maxBytes: Self.oneWayReplyCap, deadline: max(remaining, .milliseconds(1))),
                        onData: { _ in },
                        onEnd: { [weak self] end in
                            guard let self else { return }
                            switch end {
                            case .endOfStream:
                                peerClosed = true
                                if written { self.finishOutbound(request.id, .reply([])) }
                            case .failed(let error):
                                self.finishOutbound(request.id, .failed(Self.streamFailure(error)))
                            }
                        })
                    return
                }
                // A reply: the peer answers without a label header (memberlist writes it only when dialling).
                var assembler = self.core.makeStreamFrameAssembler(direction: .reply)
                connection.startReading(
                    limits: ReadLimits(maxBytes: Self.streamReadCap, deadline: max(remaining, .milliseconds(1))),
                    onData: { [weak self] data in
                        guard let self else { return }
                        switch assembler.feed(data) {
                        case .needMore: break
                        case .complete(let length): self.finishOutbound(request.id, .reply(Array(assembler.bytes[..<length])))
                        case .invalid: self.finishOutbound(request.id, .reply(assembler.bytes))
                        }
                    },
                    onEnd: { [weak self] end in
                        guard let self else { return }
                        switch end {
                        case .endOfStream:
                            // The peer closed before a whole reply: let the core judge what arrived.
                            let buffer = assembler.bytes
                            self.finishOutbound(request.id, buffer.isEmpty ? .failed(.closed) : .reply(buffer))
                        case .failed(let error):
                            self.finishOutbound(request.id, .failed(Self.streamFailure(error)))
                        }
                    })
            }
        }
        // A connect that failed at once has already reported and closed; only a live attempt is tracked.
        if let connection, !connection.isClosed { outboundStreams[request.id] = connection }
    }

    /// Reports a stream's outcome. A second report for the same id (a late callback after the first) is
    /// ignored by the core, which no longer waits for it.
    private func finishOutbound(_ id: StreamID, _ result: StreamResult) {
        if let connection = outboundStreams.removeValue(forKey: id) { connection.close() }
        guard !stopped else { return }
        core.streamCompleted(id, result: result, now: loop.now, into: &outputs)
        carryOut()
    }

    /// What a peer may send back on a one-way stream before it counts as misbehaving (it should send nothing).
    static let oneWayReplyCap = 4096

    static func streamFailure(_ error: RuntimeError) -> StreamFailure {
        switch error {
        case .connectTimedOut, .readDeadlineExceeded, .idleTimeout, .writeTimedOut: return .timedOut
        case .connectionRefused, .connectionReset: return .refused
        default: return .closed
        }
    }

    // MARK: Inbound

    func acceptStream(_ connection: TCPConnection) {
        guard !stopped else { return connection.close() }
        // Over the cap the stream is closed unread; the budget counts it.
        guard let ticket = inboundStreamBudget.admit() else {
            rateLimiter.log(loggers.network, level: .warning, key: "stream-refused-count", now: loop.now,
                            "inbound stream refused: \(inboundStreamBudget.limits.maxConcurrent) already open")
            return connection.close()
        }
        nextInboundStream += 1
        let id = InboundStreamID(rawValue: nextInboundStream)
        inboundStreams[id] = connection
        connection.onClose = { [weak self] _ in
            guard let self else { return }
            self.inboundStreamBudget.release(ticket)
            self.inboundStreams.removeValue(forKey: id)
        }
        // One assembler per stream: each read costs its own bytes, not the whole buffer again.
        var assembler = core.makeStreamFrameAssembler()
        var answered = false
        connection.writeTimeout = configuration.membership.tcpTimeout
        connection.startReading(
            limits: ReadLimits(maxBytes: Self.streamReadCap, deadline: configuration.membership.tcpTimeout),
            onData: { [weak self] data in
                guard let self, !answered else { return }
                guard self.inboundStreamBudget.charge(ticket, data.count) else {
                    answered = true
                    self.rateLimiter.log(self.loggers.network, level: .warning, key: "stream-cut-memory", now: self.loop.now,
                                         "inbound stream cut: streams hold \(self.inboundStreamBudget.bufferedBytes) bytes, the budget is \(self.inboundStreamBudget.limits.memoryBudget)")
                    return connection.close()
                }
                switch assembler.feed(data) {
                case .needMore:
                    return
                case .complete(let length):
                    answered = true
                    self.inboundStreamBudget.release(ticket)
                    self.receiveStream(Array(assembler.bytes[..<length]), id: id, on: connection)
                case .invalid:
                    answered = true
                    self.inboundStreamBudget.release(ticket)
                    // Let the core refuse and count it; it answers with an error message where it can.
                    self.receiveStream(assembler.bytes, id: id, on: connection)
                }
            },
            onEnd: { [weak self] end in
                guard let self else { return connection.close() }
                if !answered, case .endOfStream = end, !assembler.bytes.isEmpty {
                    answered = true
                    self.inboundStreamBudget.release(ticket)
                    self.receiveStream(assembler.bytes, id: id, on: connection)
                } else if !answered {
                    connection.close()
                }
            })
    }

    /// The runtime's cut-off for one stream, a read beyond the assembler's own limit (20 MiB and an
    /// encryption header): the assembler sees the excess first, so the core refuses and counts it.
    static var streamReadCap: Int { maxStreamBytes + (256 << 10) }

    private func receiveStream(_ request: [UInt8], id: InboundStreamID, on connection: TCPConnection) {
        connection.stopReading()
        let source = connection.remoteAddress ?? boundAddress
        core.receiveStream(request, from: source, stream: id, now: loop.now, into: &outputs)
        carryOut()
    }

    /// The core's answer to an inbound stream: the reply, then close.
    func answer(_ id: InboundStreamID, reply: [UInt8]?) {
        guard let connection = inboundStreams[id] else { return }
        if let reply {
            connection.write(reply) { _ in connection.close() }
        } else {
            connection.close()
        }
    }
}
