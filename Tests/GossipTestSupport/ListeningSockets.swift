import Foundation
@_exported import struct GossipRuntime.ListeningSockets

public struct ListeningSocketsTimeout: Error, CustomStringConvertible {
    public let process: String
    public let waitedFor: String
    package let last: ListeningSockets
    public var description: String { "\(process) did not come to listen on \(waitedFor); it holds \(last)" }
}

extension ListeningSockets {
    /// Waits (bounded) until the sockets of process `pid` satisfy `ready`, and returns them; throws naming
    /// `what` was waited for once `timeout` passes or `isRunning` says the process has gone.
    package static func wait(pid: Int32, process name: String, for what: String, timeout: Duration = .seconds(15),
                            isRunning: () -> Bool, until ready: (ListeningSockets) -> Bool) async throws -> ListeningSockets {
        let deadline = ContinuousClock.now + timeout
        var last = ListeningSockets.of(pid: pid)
        while !ready(last) {
            guard isRunning(), ContinuousClock.now < deadline else {
                throw ListeningSocketsTimeout(process: name, waitedFor: what, last: last)
            }
            try? await Task.sleep(for: .milliseconds(20))
            last = ListeningSockets.of(pid: pid)
        }
        return last
    }
}

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
