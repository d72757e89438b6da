import GossipRuntime
import ProtocolSupport

/// The node's UDP socket and TCP listener, bound on one port, as memberlist needs them.
///
/// With port 0 the OS chooses the UDP port, and the TCP side may find that port taken (by any TCP socket,
/// one in TIME_WAIT included): then both are closed and the pair is bound again on a new port, up to
/// ``attempts`` times, as memberlist does. A fixed port that is taken fails at once with the error that
/// names it. Nothing is left open when binding fails.
struct MembershipSockets {
    let udp: UDPSocket
    let tcp: TCPListener
    /// Forwards accepted connections to the engine once it is ready (`start`).
    let acceptor: Acceptor

    /// memberlist's own number of tries for an OS-chosen port.
    static let attempts = 10

    /// Holds the accept handler: the listener exists before the engine that handles its connections.
    final class Acceptor {
        var handler: ((TCPConnection) -> Void)?

        func accept(_ connection: TCPConnection) {
            // Accepted before the node started: nothing may answer yet.
            guard let handler else { return connection.close() }
            handler(connection)
        }
    }

    static func bind(loop: EventLoop, address: SocketAddress, receiveBufferSize: Int) throws(GossipNodeError) -> MembershipSockets {
        let tries = address.port == 0 ? attempts : 1
        var lastError: GossipNodeError = .addressInUse(address)
        for _ in 0..<tries {
            let udp: UDPSocket
            do {
                udp = try UDPSocket(loop: loop, bindingTo: address, receiveBufferSize: receiveBufferSize)
            } catch let error {
                throw bindError(error, address)
            }
            let acceptor = Acceptor()
            do {
                let tcp = try TCPListener(loop: loop, bindingTo: udp.localAddress) { acceptor.accept($0) }
                return MembershipSockets(udp: udp, tcp: tcp, acceptor: acceptor)
            } catch let error {
                udp.close()
                lastError = bindError(error, udp.localAddress)
                guard case .addressInUse = error, address.port == 0 else { throw lastError }
            }
        }
        throw lastError
    }

    static func bindError(_ error: RuntimeError, _ address: SocketAddress) -> GossipNodeError {
        if case .addressInUse = error { return .addressInUse(address) }
        return .bindFailed(address, reason: error.description)
    }

    func close() {
        udp.close()
        tcp.close()
    }
}
