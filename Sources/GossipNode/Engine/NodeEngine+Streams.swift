import GossipRuntime
import Membership
import GossipNodeCore
import ProtocolSupport

/// memberlist's TCP streams on the runtime: one request per connection, the reply on the same connection.
///
/// memberlist streams carry no length prefix (except encrypted ones), so after every read the engine asks
/// the node core whether the bytes so far form a whole message. Reads are capped in bytes and time:
/// a peer that sends too much or stalls is cut off by the runtime, and the stream fails.
extension NodeEngine {
    // MARK: Outbound (push/pull, TCP ping, reliable user messages)

    func openStream(_ request: StreamRequest) {
        let deadline = loop.now + request.timeout
        let connection = TCPConnection.connect(loop: loop, to: request.to, timeout: request.timeout) { [unowned self] result in
            switch result {
            case .failure(let error):
                self.finishOutbound(request.id, .failed(Self.streamFailure(error)))
            case .success(let connection):
                connection.write(request.request) { [unowned self] written in
                    if case .failure(let error) = written {
                        self.finishOutbound(request.id, .failed(Self.streamFailure(error)))
                    } else if !request.expectsReply {
                        self.finishOutbound(request.id, .reply([]))
                    }
                }
                guard request.expectsReply else { return }
                let remaining = deadline.duration(since: self.loop.now)
                var buffer: [UInt8] = []
                connection.startReading(
                    limits: ReadLimits(maxBytes: Self.maxStreamBytes, deadline: max(remaining, .milliseconds(1))),
                    onData: { [unowned self] data in
                        buffer.append(contentsOf: data)
                        switch self.core.streamFrameStatus(buffer) {
                        case .needMore: break
                        case .complete(let length): self.finishOutbound(request.id, .reply(Array(buffer[..<length])))
                        case .invalid: self.finishOutbound(request.id, .reply(buffer))
                        }
                    },
                    onEnd: { [unowned self] end in
                        switch end {
                        case .endOfStream:
                            // The peer closed before a whole reply: let the core judge what arrived.
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
        nextInboundStream += 1
        let id = InboundStreamID(rawValue: nextInboundStream)
        inboundStreams[id] = connection
        connection.onClose = { [unowned self] _ in self.inboundStreams.removeValue(forKey: id) }
        var buffer: [UInt8] = []
        var answered = false
        connection.writeTimeout = configuration.membership.tcpTimeout
        connection.startReading(
            limits: ReadLimits(maxBytes: Self.maxStreamBytes, deadline: configuration.membership.tcpTimeout),
            onData: { [unowned self] data in
                guard !answered else { return }
                buffer.append(contentsOf: data)
                switch self.core.streamFrameStatus(buffer) {
                case .needMore:
                    return
                case .complete(let length):
                    answered = true
                    self.receiveStream(Array(buffer[..<length]), id: id, on: connection)
                case .invalid:
                    answered = true
                    // Let the core refuse and count it; it answers with an error message where it can.
                    self.receiveStream(buffer, id: id, on: connection)
                }
            },
            onEnd: { [unowned self] end in
                if !answered, case .endOfStream = end, !buffer.isEmpty {
                    answered = true
                    self.receiveStream(buffer, id: id, on: connection)
                } else if !answered {
                    connection.close()
                }
            })
    }

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
