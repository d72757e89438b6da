/// A member to join through: an address, or a host name and port that are resolved every time the node
/// contacts the seed (its first join, each retry while the node is alone), so that a seed that moves, or a
/// name behind which the seeds change (a DNS record kept by an orchestrator), is followed.
///
/// Names are kept as names here: nothing in the protocol cores resolves them. The node core asks its
/// driver for the addresses and joins every one it gets back.
public enum Seed: Hashable, Sendable, Comparable, CustomStringConvertible {
    case address(SocketAddress)
    /// An RFC 1123 host name (``isHostName(_:)``) and the port its members listen on.
    case name(host: String, port: UInt16)

    /// `10.0.0.1:7946`, `[::1]:7946` or `seeds.internal:7946`: the form `--join` takes.
    public var description: String {
        switch self {
        case .address(let address): "\(address)"
        case .name(let host, let port): "\(host):\(port)"
        }
    }

    /// Addresses first, in address order, then names in name order (only for stable listings).
    public static func < (lhs: Seed, rhs: Seed) -> Bool {
        switch (lhs, rhs) {
        case (.address(let a), .address(let b)): a < b
        case (.address, .name): true
        case (.name, .address): false
        case (.name(let a, let p), .name(let b, let q)): (a, p) < (b, q)
        }
    }
}

extension Seed {
    /// Parses `HOST:PORT`: an IPv4 literal, an IPv6 literal in brackets (`[::1]:7946`), or a host name
    /// (`localhost` included: it is looked up like any name, so that /etc/hosts decides what it means).
    public init(parsing text: String) throws(SocketAddressParseError) {
        if text.hasPrefix("[") {
            self = .address(try SocketAddress(parsing: text))
            return
        }
        guard let colon = text.lastIndex(of: ":") else { throw .missingPort(text) }
        let host = String(text[..<colon])
        guard let port = UInt16(text[text.index(after: colon)...]) else { throw .invalidPort(text) }
        // An IPv6 literal without brackets is ambiguous with its port: refused with how to write it.
        guard !host.contains(":") else { throw .unbracketedIPv6(text) }
        if host != "localhost", let ip = SocketAddress.parseHost(host), let address = SocketAddress(ip: ip, port: port) {
            self = .address(address)
        } else if Self.isHostName(host), !Self.looksLikeIPv4(host) {
            self = .name(host: host, port: port)
        } else {
            throw .invalidHost(text)
        }
    }

    /// RFC 1123 syntax: dot-separated labels of letters, digits and inner hyphens, 1 to 63 bytes each, 253
    /// in all. Checked before any lookup, so that text which cannot be a name never reaches a resolver.
    public static func isHostName(_ host: String) -> Bool {
        let bytes = Array(host.utf8)
        guard !bytes.isEmpty, bytes.count <= 253 else { return false }
        for label in bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false) {
            guard (1...63).contains(label.count), label.first != UInt8(ascii: "-"), label.last != UInt8(ascii: "-") else { return false }
            for byte in label {
                let ok = (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == UInt8(ascii: "-")
                if !ok { return false }
            }
        }
        return true
    }

    /// Digits and dots only, as `10.0.0.300` or `1.2.3`: a mistyped address, never meant as a name
    /// (getaddrinfo would read `1.2.3` as 1.2.0.3).
    private static func looksLikeIPv4(_ host: String) -> Bool {
        host.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || $0 == UInt8(ascii: ".") }
    }
}
