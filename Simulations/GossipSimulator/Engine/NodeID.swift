import ProtocolSupport

/// A simulated node: its index in the cluster, from which its name and address follow.
///
/// Names (`node-7`) are what the Plumtree core and the alert `instance` label use; addresses
/// (`10.0.0.8:7946`) are what the membership core routes on. Both are pure functions of the index, so
/// nothing in the simulator needs a lookup table that could iterate in hash order.
public struct NodeID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let index: Int

    public init(_ index: Int) { self.index = index }

    /// The node's name, also its `instance` label: `node-<index>`.
    public var name: String { "node-\(index)" }

    /// The node's gossip address: 10.x.y.z:7946 with x.y.z the index plus one, so no node is 10.0.0.0.
    public var address: SocketAddress {
        let n = index + 1
        return SocketAddress(ipv4: 10, UInt8((n >> 16) & 0xff), UInt8((n >> 8) & 0xff), UInt8(n & 0xff), port: 7946)
    }

    /// The node a simulated address belongs to, if any.
    public init?(address: SocketAddress) {
        guard let ip = address.ipv4Value, ip >> 24 == 10, address.port == 7946 else { return nil }
        let n = Int(ip & 0xff_ffff)
        guard n >= 1 else { return nil }
        self.index = n - 1
    }

    /// The node a name (`node-<index>`) belongs to, if it is one.
    public init?(name: String) {
        // Fast path for the names the simulator itself makes (every Plumtree send is routed by name).
        var digits = 0
        var value = 0
        var position = 0
        for byte in name.utf8 {
            if position < 5 {
                guard byte == Self.prefix[position] else { return nil }
            } else if byte >= 0x30, byte <= 0x39, digits < 18 {
                value = value * 10 + Int(byte - 0x30)
                digits += 1
            } else {
                digits = -1
                break
            }
            position += 1
        }
        if digits > 0 {
            self.index = value
            return
        }
        guard name.hasPrefix("node-"), let index = Int(name.dropFirst(5)), index >= 0 else { return nil }
        self.index = index
    }

    private static let prefix: [UInt8] = Array("node-".utf8)

    public static func < (lhs: NodeID, rhs: NodeID) -> Bool { lhs.index < rhs.index }
    public var description: String { name }
}
