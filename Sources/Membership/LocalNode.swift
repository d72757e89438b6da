import MemberlistWire
import ProtocolSupport

/// Who this node is: its unique name, where others reach it, and its metadata.
public struct LocalNode: Sendable, Equatable {
    /// Unique in the cluster (memberlist refuses a second member of the same name at another address).
    public var name: String
    /// The address other members send packets and open streams to (memberlist's advertise address).
    public var address: SocketAddress
    /// Metadata announced with every alive message: serf tags (`0xFF` + msgpack map) for serf to show them.
    /// At most ``MembershipConfig/metaMaxSize`` bytes.
    public var meta: [UInt8]
    /// The protocol ranges announced: memberlist 1...5 speaking 2, delegate 2...5 speaking 4, as serf's
    /// library does, so serf agents accept us in push/pull version checks.
    public var versions: Vsn

    public init(name: String, address: SocketAddress, meta: [UInt8] = [], versions: Vsn = .serfLibrary) {
        self.name = name
        self.address = address
        self.meta = meta
        self.versions = versions
    }
}

/// A command the core refused; nothing changed.
public enum MembershipError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Metadata over 512 bytes: memberlist and serf refuse it. Shorten the tags.
    case metaTooLarge(size: Int)
    /// No member of that name is known (or it is dead or left).
    case unknownMember(String)
    /// The node has left; create a new core to join again.
    case alreadyLeft
    /// The node name is empty or longer than memberlist accepts.
    case invalidName(String)
    /// The cluster label is longer than memberlist's 255 bytes.
    case invalidLabel(String)

    public var description: String {
        switch self {
        case .metaTooLarge(let size):
            return "metadata is \(size) bytes, over the \(MembershipConfig.metaMaxSize)-byte limit: shorten the tags"
        case .unknownMember(let name): return "no live member named '\(name)'"
        case .alreadyLeft: return "this node has left the cluster: start a new membership to join again"
        case .invalidName(let name): return "invalid node name '\(name)': use 1 to 255 bytes of UTF-8"
        case .invalidLabel(let label):
            return "invalid cluster label '\(label)' (\(label.utf8.count) bytes): use 1 to 255 bytes of UTF-8, or none"
        }
    }
}
