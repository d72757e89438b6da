import Membership
import Plumtree
import ProtocolSupport

/// Where a node's membership comes from.
package enum MembershipSource: Sendable {
    /// The SWIM + Lifeguard core runs in the node, announcing it at `address` (memberlist's advertise
    /// address). This is what ships.
    case swim(advertise: SocketAddress)
    /// The caller reports members up and down with ``NodeCore/externalMember(_:up:now:into:)`` (the
    /// simulator's oracle, a perfect failure detector that isolates Plumtree's own behaviour), and
    /// `addressOf` says where a member listens. Plumtree messages then travel as raw datagrams and streams.
    ///
    /// The caller's membership already knows every member's address, so the node keeps no table of its own:
    /// at 1,000 simulated nodes one would hold a million entries (80 MB). `addressOf` must be a pure
    /// function of the name, as every input of a core is.
    case external(addressOf: @Sendable (String) -> SocketAddress?)
}

/// How a node finds failed members and its seeds again: serf's reconnect, made quicker to heal.
///
/// memberlist alone forgets a dead member after `gossipToTheDeadTime`, and nothing ever contacts it
/// again, so the two sides of a partition that outlasts failure detection stay apart for good (serf's
/// reconnect exists for exactly this). Every failed member is retried with a push/pull: first after
/// ``firstRetry``, then with its wait doubling up to ``interval``, each wait jittered. At most one attempt
/// is in flight at a time and attempts are at least ``spacing`` apart, so a node with hundreds of failed
/// members still makes at most one connection attempt per `spacing`.
package struct ReconnectConfig: Sendable, Equatable {
    /// The longest wait between two attempts at one member (serf's `reconnect_interval`).
    package var interval: Duration = .seconds(30)
    /// How long a failed member is retried before it is given up (serf's `reconnect_timeout`).
    package var timeout: Duration = .seconds(24 * 3600)
    /// The wait before the first attempt at a member that just failed.
    package var firstRetry: Duration = .seconds(2)
    /// The shortest time between two attempts, whatever the member.
    package var spacing: Duration = .seconds(1)
    /// How long an attempt may take before the next one may start anyway (the push/pull's own TCP timeout
    /// ends it first; this only guards against an outcome that never comes).
    package var attemptTimeout: Duration = .seconds(30)
    /// Whether the seeds of the last join are tried again, with the same backoff, while the node knows no
    /// other live member (a node started before its seeds, or cut off from every member it knew).
    package var retrySeeds = true

    package init() {}

    /// No reconnect at all: memberlist's behaviour.
    package static var disabled: ReconnectConfig {
        var config = ReconnectConfig()
        config.timeout = .zero
        config.retrySeeds = false
        return config
    }

    package var isEnabled: Bool { timeout > .zero }
}

/// Everything that shapes one node core.
package struct NodeCoreConfig: Sendable {
    /// The node's name, unique in the cluster.
    package var name: String
    package var membershipSource: MembershipSource
    package var membership: MembershipConfig
    package var plumtree: PlumtreeConfig
    package var reconnect: ReconnectConfig
    /// The application's tags; the core adds the `plumtree` tag itself.
    package var tags: [String: String]
    /// AES-GCM keys, the primary first; empty for plaintext.
    package var encryptionKeys: [[UInt8]]
    /// Check the node's invariants after every input (always on in debug builds).
    package var checkInvariants: Bool

    package init(name: String, membershipSource: MembershipSource, membership: MembershipConfig = .lan,
                 plumtree: PlumtreeConfig = .lan, reconnect: ReconnectConfig = ReconnectConfig(),
                 tags: [String: String] = [:], encryptionKeys: [[UInt8]] = [], checkInvariants: Bool = false) {
        self.name = name
        self.membershipSource = membershipSource
        self.membership = membership
        self.plumtree = plumtree
        self.reconnect = reconnect
        self.tags = tags
        self.encryptionKeys = encryptionKeys
        self.checkInvariants = checkInvariants
    }
}

/// The serf tag by which Plumtree nodes recognise each other: its value is the range of Plumtree protocol
/// versions the node speaks (``PlumtreeVersions``): `1`, or `1-2`.
public enum PlumtreeTag {
    public static let key = "plumtree"
    /// What a node speaking only version 1 announces (every node before version negotiation did).
    public static let value = "1"

    /// What a node speaking `versions` announces.
    public static func value(_ versions: ClosedRange<UInt8>) -> String { PlumtreeVersions.tagValue(versions) }
}

/// Why a node core could not be built, or refused a command.
package enum NodeCoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The tags, with the `plumtree` tag added, encode to more than memberlist's 512 bytes of metadata.
    case tagsTooLarge(size: Int)
    /// An encryption key is not 16, 24 or 32 bytes.
    case invalidKey(String)
    /// The name is empty or longer than memberlist accepts.
    case invalidName(String)
    /// The Plumtree versions asked for are not all ones this build speaks.
    case unsupportedPlumtreeVersions(ClosedRange<UInt8>)
    /// The cluster label is longer than memberlist's 255 bytes.
    case invalidLabel(String)

    package var description: String {
        switch self {
        case .tagsTooLarge(let size):
            "tags take \(size) bytes encoded, over memberlist's limit of \(MembershipConfig.metaMaxSize): shorten them"
        case .invalidKey(let why): "invalid encryption key: \(why)"
        case .invalidName(let name): "node name '\(name)' is empty or longer than 255 bytes"
        case .unsupportedPlumtreeVersions(let versions):
            "Plumtree versions \(PlumtreeVersions.tagValue(versions)) asked for; this build speaks \(PlumtreeVersions.tagValue(PlumtreeVersions.known))"
        case .invalidLabel(let label): "cluster label '\(label)' is longer than 255 bytes"
        }
    }
}
