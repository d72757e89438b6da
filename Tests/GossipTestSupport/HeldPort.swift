import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A socket bound to a port the OS chose, never listened on, held until this is released.
///
/// - TCP: a connection to the port is refused, and no other socket can take the port meanwhile (a closed
///   listener's port could be taken by another test before the connect).
/// - Either: a node told to bind this very port finds it in use.
public final class HeldPort: @unchecked Sendable {
    // @unchecked: the descriptor is immutable and closed once, in deinit.
    private let fd: Int32
    public let ip: [UInt8]
    public let port: UInt16

    public enum Kind: Sendable { case tcp, udp }

    public struct Failed: Error, CustomStringConvertible {
        public let call: String
        public let code: Int32
        public var description: String { "\(call) failed: errno \(code)" }
    }

    /// - Parameters:
    ///   - port: 0 for a port the OS chooses; another number to hold that one (for the other protocol's
    ///     side of a port already known).
    public init(_ kind: Kind = .tcp, ip: [UInt8] = [127, 0, 0, 1], port: UInt16 = 0) throws {
        let type = kind == .tcp ? Int32(SOCK_STREAM.rawValue) : Int32(SOCK_DGRAM.rawValue)
        let fd = socket(AF_INET, type, 0)
        guard fd >= 0 else { throw Failed(call: "socket", code: errno) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        withUnsafeMutableBytes(of: &address.sin_addr) { $0.copyBytes(from: ip.prefix(4)) }
        address.sin_port = port.bigEndian
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { let code = errno; close(fd); throw Failed(call: "bind", code: code) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { let code = errno; close(fd); throw Failed(call: "getsockname", code: code) }
        self.fd = fd
        self.ip = ip
        self.port = UInt16(bigEndian: address.sin_port)
    }

    deinit { close(fd) }
}
