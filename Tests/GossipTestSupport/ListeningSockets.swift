import Foundation
@_exported import struct GossipRuntime.ListeningSockets
@_exported import struct GossipRuntime.ListeningSocketsTimeout

extension ManagedProcess {
    /// The memberlist port (TCP and UDP on one number) the process bound as port 0, and, when
    /// `tcpListeners` is 1, its other TCP listener (an admin or RPC server).
    public func boundPorts(tcpListeners: Int = 0, timeout: Duration = .seconds(15)) async throws -> (membership: UInt16, other: UInt16?) {
        let sockets = try await ListeningSockets.wait(
            pid: pid, process: name, for: "one TCP+UDP port and \(tcpListeners) other TCP listener(s)", timeout: timeout,
            isRunning: { isRunning }, until: { $0.membershipPort != nil && $0.tcpOnly.count == tcpListeners })
        return (sockets.membershipPort!, sockets.tcpOnly.first)
    }
}
