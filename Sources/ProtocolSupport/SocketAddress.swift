/// An IPv4 or IPv6 address and a port: where a member listens, where a packet came from.
///
/// Shared by the membership core (which names addresses in the packets it asks to send), the runtime
/// (which turns them into `sockaddr`s) and the simulator (which routes on them).
public struct SocketAddress: Hashable, Sendable, Comparable, CustomStringConvertible {
    // The address bytes are held inline, not in an array: every member of every node carries one (the
    // simulator holds a million at 1,000 nodes), and an array is a heap allocation and a reference count each.
    /// Bytes 0-7 of an IPv6 address, big-endian; 0 for IPv4.
    private let high: UInt64
    /// Bytes 8-15 of an IPv6 address, or the 4 bytes of an IPv4 address, big-endian.
    private let low: UInt64
    public let isIPv6: Bool
    public let port: UInt16

    /// Fails when `ip` is neither 4 nor 16 bytes long.
    public init?(ip: [UInt8], port: UInt16) {
        func bigEndian(_ bytes: ArraySlice<UInt8>) -> UInt64 { bytes.reduce(0) { $0 << 8 | UInt64($1) } }
        switch ip.count {
        case 4: (high, low, isIPv6) = (0, bigEndian(ip[...]), false)
        case 16: (high, low, isIPv6) = (bigEndian(ip[0..<8]), bigEndian(ip[8..<16]), true)
        default: return nil
        }
        self.port = port
    }

    public init(ipv4 a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8, port: UInt16) {
        high = 0
        low = UInt64(a) << 24 | UInt64(b) << 16 | UInt64(c) << 8 | UInt64(d)
        isIPv6 = false
        self.port = port
    }

    /// 4 bytes for IPv4, 16 for IPv6, in network order.
    public var ip: [UInt8] {
        func bytes(_ value: UInt64, _ count: Int) -> [UInt8] { (0..<count).map { UInt8(truncatingIfNeeded: value >> (8 * (count - 1 - $0))) } }
        return isIPv6 ? bytes(high, 8) + bytes(low, 8) : bytes(low, 4)
    }

    /// The IPv4 address as one number (`10.0.0.1` is `0x0A000001`), without building ``ip``; nil for IPv6.
    public var ipv4Value: UInt32? { isIPv6 ? nil : UInt32(truncatingIfNeeded: low) }

    public var isLoopback: Bool {
        isIPv6 ? high == 0 && low == 1 : low >> 24 == 127
    }

    /// The host part as text: `127.0.0.1` or `::1` (IPv6 written in full groups, zeros compressed once).
    public var host: String {
        let ip = self.ip
        if !isIPv6 { return ip.map(String.init).joined(separator: ".") }
        var groups: [UInt16] = []
        for i in stride(from: 0, to: 16, by: 2) { groups.append(UInt16(ip[i]) << 8 | UInt16(ip[i + 1])) }
        // Find the longest run of zero groups (length >= 2) to compress as "::".
        var bestStart = -1, bestLength = 0, runStart = -1
        for (index, group) in groups.enumerated() {
            if group == 0 {
                if runStart < 0 { runStart = index }
                let length = index - runStart + 1
                if length > bestLength { bestStart = runStart; bestLength = length }
            } else {
                runStart = -1
            }
        }
        func hex(_ slice: ArraySlice<UInt16>) -> String { slice.map { String($0, radix: 16) }.joined(separator: ":") }
        guard bestLength >= 2 else { return hex(groups[...]) }
        return hex(groups[..<bestStart]) + "::" + hex(groups[(bestStart + bestLength)...])
    }

    /// `127.0.0.1:7946` or `[::1]:7946`.
    public var description: String { isIPv6 ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// By address bytes, as byte arrays compare (an IPv4 address before an IPv6 one that it prefixes), then by port.
    public static func < (lhs: SocketAddress, rhs: SocketAddress) -> Bool {
        if lhs.isIPv6 == rhs.isIPv6 {
            if lhs.high != rhs.high { return lhs.high < rhs.high }
            if lhs.low != rhs.low { return lhs.low < rhs.low }
            return lhs.port < rhs.port
        }
        let (left, right) = (lhs.ip, rhs.ip)
        if left != right { return left.lexicographicallyPrecedes(right) }
        return lhs.port < rhs.port
    }
}

/// Why a text address was refused.
public enum SocketAddressParseError: Error, Equatable, CustomStringConvertible {
    case missingPort(String)
    case invalidPort(String)
    case invalidHost(String)
    /// An IPv6 address without brackets: its last group cannot be told from the port.
    case unbracketedIPv6(String)

    public var description: String {
        switch self {
        case .missingPort(let text): return "address '\(text)' has no port: write HOST:PORT, e.g. 127.0.0.1:7946"
        case .invalidPort(let text): return "address '\(text)' has an invalid port: use 0-65535"
        case .invalidHost(let text): return "address '\(text)' has an invalid host: use an IPv4 or IPv6 literal"
        case .unbracketedIPv6(let text): return "address '\(text)' is an IPv6 address without brackets: write it as [::1]:7946"
        }
    }
}

extension SocketAddress {
    /// Parses `HOST:PORT` where HOST is an IPv4 literal, `[IPv6]`, or `localhost` (127.0.0.1).
    public init(parsing text: String) throws(SocketAddressParseError) {
        let hostPart: Substring
        let portPart: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { throw .invalidHost(text) }
            hostPart = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { throw .missingPort(text) }
            portPart = rest.dropFirst()
        } else {
            guard let colon = text.lastIndex(of: ":") else { throw .missingPort(text) }
            hostPart = text[..<colon]
            portPart = text[text.index(after: colon)...]
            // `::1:7946` could be ::1 port 7946 or the address ::1:7946 without a port: brackets decide.
            guard !hostPart.contains(":") else { throw .unbracketedIPv6(text) }
        }
        guard let port = UInt16(portPart) else { throw .invalidPort(text) }
        guard let ip = Self.parseHost(String(hostPart)), let address = SocketAddress(ip: ip, port: port) else {
            throw .invalidHost(text)
        }
        self = address
    }

    /// Parses an IPv4 or IPv6 literal (or `localhost`) into network-order bytes.
    public static func parseHost(_ host: String) -> [UInt8]? {
        if host == "localhost" { return [127, 0, 0, 1] }
        if !host.contains(":") {
            let parts = host.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count == 4 else { return nil }
            var bytes: [UInt8] = []
            for part in parts {
                guard !part.isEmpty, part.count <= 3, let value = UInt8(part) else { return nil }
                bytes.append(value)
            }
            return bytes
        }
        let halves = host.components(separatedBy: "::")
        guard halves.count <= 2 else { return nil }
        func groups(_ s: String) -> [UInt16]? {
            if s.isEmpty { return [] }
            var result: [UInt16] = []
            for part in s.split(separator: ":", omittingEmptySubsequences: false) {
                guard !part.isEmpty, part.count <= 4, let value = UInt16(part, radix: 16) else { return nil }
                result.append(value)
            }
            return result
        }
        guard let head = groups(halves[0]) else { return nil }
        var all: [UInt16]
        if halves.count == 2 {
            guard let tail = groups(halves[1]), head.count + tail.count <= 7 else { return nil }
            all = head + Array(repeating: 0, count: 8 - head.count - tail.count) + tail
        } else {
            guard head.count == 8 else { return nil }
            all = head
        }
        return all.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xff)] }
    }
}

extension String {
    fileprivate func components(separatedBy separator: String) -> [String] {
        var result: [String] = []
        var current = Substring(self)
        while let range = current.firstRange(of: separator) {
            result.append(String(current[..<range.lowerBound]))
            current = current[range.upperBound...]
        }
        result.append(String(current))
        return result
    }
}
