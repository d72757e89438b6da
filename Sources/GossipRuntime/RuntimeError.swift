import CLibUV
import ProtocolSupport

/// Everything the runtime refuses or reports, each case naming what was wrong and, where it helps, what to do.
public enum RuntimeError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Another socket already holds the address (bind, listen).
    case addressInUse(SocketAddress)
    /// The address is not one of this machine's (bind).
    case addressNotAvailable(SocketAddress)
    /// The process may not bind or reach the address (e.g. a port below 1024).
    case permissionDenied(SocketAddress)
    /// Nothing listens at the address (connect).
    case connectionRefused(SocketAddress)
    /// The connection to the address was not established within `after`.
    case connectTimedOut(SocketAddress, after: Duration)
    /// The peer reset the connection.
    case connectionReset(SocketAddress?)
    /// The peer sent more than the read cap allows; the connection was cut off.
    case sizeCapExceeded(peer: SocketAddress?, cap: Int)
    /// The read did not finish within its deadline; the connection was cut off.
    case readDeadlineExceeded(peer: SocketAddress?, deadline: Duration)
    /// The peer sent nothing for `after`; the connection was cut off.
    case idleTimeout(peer: SocketAddress?, after: Duration)
    /// Queued writes made no progress for `after` (the peer stopped reading); the connection was cut off.
    case writeTimedOut(peer: SocketAddress?, after: Duration)
    /// The socket or connection was closed before the operation could complete.
    case closed
    /// The event loop is shutting down or has shut down; nothing more is accepted.
    case loopShutDown
    /// A datagram is larger than the socket can send.
    case messageTooLarge(size: Int)
    /// Any other libuv failure: the operation, the address if any, and libuv's own name and text for the code.
    case system(operation: String, address: SocketAddress?, code: Int32, name: String, message: String)

    public var description: String {
        switch self {
        case .addressInUse(let address):
            return "\(address) is already in use: choose another port (0 lets the OS choose) or stop the process holding it"
        case .addressNotAvailable(let address):
            return "\(address) is not an address of this machine: bind to one of its interfaces, 0.0.0.0 or ::"
        case .permissionDenied(let address):
            return "permission denied for \(address): use a port above 1024 or grant the capability to bind it"
        case .connectionRefused(let address):
            return "connection to \(address) refused: nothing listens there"
        case .connectTimedOut(let address, let after):
            return "connection to \(address) timed out after \(after)"
        case .connectionReset(let peer):
            return "connection \(peer.map { "to \($0) " } ?? "")was reset by the peer"
        case .sizeCapExceeded(let peer, let cap):
            return "\(peer.map(\.description) ?? "peer") sent more than the \(cap)-byte cap; the connection was cut off"
        case .readDeadlineExceeded(let peer, let deadline):
            return "\(peer.map(\.description) ?? "peer") did not finish sending within \(deadline); the connection was cut off"
        case .idleTimeout(let peer, let after):
            return "\(peer.map(\.description) ?? "peer") sent nothing for \(after); the connection was cut off"
        case .writeTimedOut(let peer, let after):
            return "writes to \(peer.map(\.description) ?? "peer") made no progress for \(after); the connection was cut off"
        case .closed:
            return "the socket is closed"
        case .loopShutDown:
            return "the event loop is shut down: nothing more can be submitted to it"
        case .messageTooLarge(let size):
            return "a \(size)-byte datagram is too large to send: keep datagrams under the path MTU (at most 65507 bytes)"
        case .system(let operation, let address, _, let name, let message):
            return "\(operation)\(address.map { " \($0)" } ?? "") failed: \(message) (\(name))"
        }
    }

    /// Maps a libuv status code to the case that names it best.
    static func from(code: Int32, operation: String, address: SocketAddress?) -> RuntimeError {
        if let address {
            switch code {
            case UV_EADDRINUSE.rawValue: return .addressInUse(address)
            case UV_EADDRNOTAVAIL.rawValue: return .addressNotAvailable(address)
            case UV_EACCES.rawValue, UV_EPERM.rawValue: return .permissionDenied(address)
            case UV_ECONNREFUSED.rawValue: return .connectionRefused(address)
            default: break
            }
        }
        switch code {
        case UV_ECONNRESET.rawValue, UV_EPIPE.rawValue: return .connectionReset(address)
        case UV_EMSGSIZE.rawValue: return .messageTooLarge(size: -1)
        default:
            return .system(
                operation: operation, address: address, code: code,
                name: String(cString: uv_err_name(code)), message: String(cString: uv_strerror(code)))
        }
    }
}
