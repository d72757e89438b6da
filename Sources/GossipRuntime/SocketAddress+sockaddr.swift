import CLibUV
import ProtocolSupport

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Conversions between SocketAddress and the C sockaddr structures libuv speaks.
extension SocketAddress {
    /// The address as a `sockaddr_in` or `sockaddr_in6` inside a `sockaddr_storage`.
    var storage: sockaddr_storage {
        var storage = sockaddr_storage()
        withUnsafeMutableBytes(of: &storage) { raw in
            if ip.count == 4 {
                var sin = sockaddr_in()
                sin.sin_family = sa_family_t(AF_INET)
                sin.sin_port = port.bigEndian
                withUnsafeMutableBytes(of: &sin.sin_addr) { $0.copyBytes(from: ip) }
                raw.storeBytes(of: sin, as: sockaddr_in.self)
            } else {
                var sin6 = sockaddr_in6()
                sin6.sin6_family = sa_family_t(AF_INET6)
                sin6.sin6_port = port.bigEndian
                withUnsafeMutableBytes(of: &sin6.sin6_addr) { $0.copyBytes(from: ip) }
                raw.storeBytes(of: sin6, as: sockaddr_in6.self)
            }
        }
        return storage
    }

    /// Reads an IPv4 or IPv6 `sockaddr`; nil for any other family.
    init?(sockaddr pointer: UnsafePointer<sockaddr>) {
        switch Int32(pointer.pointee.sa_family) {
        case AF_INET:
            let sin = UnsafeRawPointer(pointer).loadUnaligned(as: sockaddr_in.self)
            let bytes = withUnsafeBytes(of: sin.sin_addr) { Array($0) }
            self.init(ip: bytes, port: UInt16(bigEndian: sin.sin_port))
        case AF_INET6:
            let sin6 = UnsafeRawPointer(pointer).loadUnaligned(as: sockaddr_in6.self)
            let bytes = withUnsafeBytes(of: sin6.sin6_addr) { Array($0) }
            self.init(ip: bytes, port: UInt16(bigEndian: sin6.sin6_port))
        default:
            return nil
        }
    }

    /// Reads the address out of a `sockaddr_storage` filled by getsockname/getpeername.
    init?(storage: sockaddr_storage) {
        var copy = storage
        let address = withUnsafePointer(to: &copy) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { SocketAddress(sockaddr: $0) }
        }
        guard let address else { return nil }
        self = address
    }
}

/// Calls `body` with a `sockaddr` view of `storage`.
func withSockAddr<R>(_ storage: inout sockaddr_storage, _ body: (UnsafePointer<sockaddr>) -> R) -> R {
    withUnsafePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1, body) }
}
