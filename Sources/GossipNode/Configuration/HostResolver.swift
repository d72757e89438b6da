#if canImport(Glibc)
import Glibc
#endif
import ProtocolSupport

/// Resolves the host of a `HOST:PORT` setting that is a name rather than an IP literal, through the system
/// resolver (getaddrinfo: /etc/hosts, then DNS). Used wherever a setting or flag takes an address, so that a
/// name is accepted everywhere or refused everywhere with the same words.
package enum HostResolver {
    /// Every address `host` resolves to, IPv4 first, each with `port`; throws the resolver's reason.
    package static func resolve(_ host: String, port: UInt16) throws(HostResolutionError) -> [SocketAddress] {
        guard isHostName(host) else { throw .invalidName(host) }
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_DGRAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, nil, &hints, &list)
        guard status == 0, let first = list else {
            throw .failed(host, String(cString: gai_strerror(status)))
        }
        defer { freeaddrinfo(first) }
        var v4: [SocketAddress] = [], v6: [SocketAddress] = []
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let current = entry {
            if let address = current.pointee.ai_addr {
                switch Int32(address.pointee.sa_family) {
                case AF_INET:
                    let bytes = address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { pointer in
                        withUnsafeBytes(of: pointer.pointee.sin_addr) { Array($0) }
                    }
                    if let resolved = SocketAddress(ip: bytes, port: port), !v4.contains(resolved) { v4.append(resolved) }
                case AF_INET6:
                    let bytes = address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { pointer in
                        withUnsafeBytes(of: pointer.pointee.sin6_addr) { Array($0) }
                    }
                    if let resolved = SocketAddress(ip: bytes, port: port), !v6.contains(resolved) { v6.append(resolved) }
                default:
                    break
                }
            }
            entry = current.pointee.ai_next
        }
        guard !(v4 + v6).isEmpty else { throw .failed(host, "no IPv4 or IPv6 address") }
        return v4 + v6
    }
}

extension HostResolver {
    /// RFC 1123 syntax (``Seed/isHostName(_:)``), checked before any lookup, so that text which cannot be
    /// a name never reaches the resolver.
    package static func isHostName(_ host: String) -> Bool { Seed.isHostName(host) }
}

/// Why a host name did not resolve.
package enum HostResolutionError: Error, CustomStringConvertible {
    case invalidName(String)
    case failed(String, String)

    package var description: String {
        switch self {
        case .invalidName(let host): "'\(host)' is not a host name"
        case .failed(let host, let reason): "cannot resolve '\(host)': \(reason)"
        }
    }
}
