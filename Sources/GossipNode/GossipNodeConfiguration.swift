import CoreMetrics
import GossipObservability
import Logging
import Membership
import GossipNodeCore
import Plumtree
import ProtocolSupport
import Tracing

/// Everything a node needs to run: identity, addresses, seeds, tags, keys, and the protocols' tuning.
///
/// Start from a profile (`.lan`, `.wan`, `.local`: memberlist's timing profiles, with matching Plumtree
/// timers) and change what you need:
///
/// ```swift
/// var configuration = GossipNodeConfiguration(name: "api-1", bind: try SocketAddress(parsing: "127.0.0.1:7946"))
/// configuration.seeds = [try Seed(parsing: "127.0.0.1:7947"), try Seed(parsing: "seeds.internal:7946")]
/// configuration.tags["role"] = "api"
/// ```
public struct GossipNodeConfiguration: Sendable {
    /// memberlist's timing profiles; each also picks the Plumtree profile that suits it.
    public enum Profile: String, Sendable, CaseIterable {
        case lan, wan, local

        public var membership: MembershipConfig {
            switch self {
            case .lan: return .lan
            case .wan: return .wan
            case .local: return .local
            }
        }

        public var plumtree: PlumtreeConfig {
            switch self {
            case .lan, .local: return .lan
            case .wan: return .wan
            }
        }
    }

    public enum LogFormat: String, Sendable, CaseIterable { case text, json }

    /// The node's name, unique in the cluster (memberlist refuses a second node with the same name).
    public var name: String
    /// Where membership listens, UDP and TCP on the same port (memberlist's default port is 7946).
    public var bind: SocketAddress
    /// The address other members should use, when it differs from `bind` (e.g. bound to 0.0.0.0).
    public var advertise: SocketAddress?
    /// The admin HTTP server (/metrics, /health, the admin API); nil runs none. Binds loopback unless told.
    public var admin: SocketAddress?
    /// Required on mutating admin routes (broadcast, leave) when set; without one, those routes only answer
    /// on a loopback admin address. An admin address off loopback needs a token, or
    /// ``adminAllowUnauthenticated``: without either the node refuses to start.
    public var adminToken: String?
    /// Lets an admin server off loopback run without a token: it then serves the read routes (/metrics,
    /// /health, /v1/members) to anyone who reaches it, refuses the write routes, and the node logs a
    /// warning at start. For networks where the address is already protected (a firewall, a pod network).
    public var adminAllowUnauthenticated = false
    /// Members to join at start; the node joins through every one it can reach. A seed given by name is
    /// resolved (every A and AAAA record) at the join and again at every retry, never once for good.
    public var seeds: [Seed] = []
    /// Tags announced to the cluster (serf's tag format, at most 512 bytes encoded). The node adds its
    /// `plumtree` tag (the protocol versions it speaks, `1-2`) so that other Plumtree nodes recognise it;
    /// serf agents see the tags as usual.
    public var tags: [String: String] = [:]
    /// AES keys of 16, 24 or 32 bytes; the first encrypts, all are tried to decrypt. Empty: no encryption.
    public var encryptionKeys: [[UInt8]] = []
    /// serf's `keyring_file`: a JSON array of base64 keys, primary first. When it exists the node's keys come
    /// from it (``encryptionKeys`` must then be empty); when it does not, it is created from
    /// ``encryptionKeys``. Every change to the keyring (``GossipNode/changeKeyring(_:)``, `serf keys`) is
    /// written back, so a rotated key survives a restart.
    public var keyringFile: String?
    public var profile: Profile
    public var membership: MembershipConfig
    public var plumtree: PlumtreeConfig
    /// Health thresholds (docs/MONITORING.md); a node with fewer overlay peers than `minimumPeers` is degraded.
    public var health = HealthConfiguration()
    public var minimumPeers = 2
    /// Caps on inbound memberlist TCP streams: how many at once, and the bytes they hold together.
    public var inboundStreams = InboundStreamLimits()
    /// Delivered messages and membership changes buffered, per stream, for a consumer that is behind. In
    /// ``DeliveryMode/dropOldest`` the oldest are dropped past it; in ``DeliveryMode/unbounded`` nothing is
    /// dropped and the limit only marks the consumer as lagging in health.
    public var deliveryBufferLimit = 10_000
    /// What happens when the application reads slower than the node delivers (see ``DeliveryMode``).
    public var deliveryMode: DeliveryMode = .dropOldest
    /// While the node knows no other live member (no seed answered at start, or every member it knew
    /// failed), it tries the seeds again, first after this long, then backing off to `reconnectInterval`
    /// (serf's retry-join), so nodes started together find each other; nil tries once.
    public var joinRetryInterval: Duration? = .seconds(2)
    /// The longest wait between two attempts to reach a failed member again (serf's `reconnect_interval`).
    /// The first attempt comes 2 s after the failure and the wait doubles up to this, so that the two sides
    /// of a healed partition find each other again. At most one attempt is in flight at a time.
    public var reconnectInterval: Duration = .seconds(30)
    /// How long a failed member is tried again before it is given up (serf's `reconnect_timeout`);
    /// zero turns reconnecting off, as memberlist alone behaves.
    public var reconnectTimeout: Duration = .seconds(24 * 3600)
    /// How long a graceful leave waits for its announcement to spread before the node stops.
    public var leaveTimeout: Duration = .seconds(5)
    /// How the node's own log lines are written.
    public var logFormat: LogFormat = .text
    /// The lowest level logged by every component; nil keeps each component's default (protocol info,
    /// network warning, metrics info, admin info).
    public var logLevel: Logger.Level?
    /// Levels of single components (`protocol`, `network`, `metrics`, `admin`), over ``logLevel``.
    public var logLevels: [LogComponent: Logger.Level] = [:]
    /// Where the node's own log lines go; nil: standard error.
    public var logSink: (any LogSink)?
    /// Where the node's metrics go. nil: a Prometheus registry of the node's own, served on /metrics.
    public var metricsFactory: (any MetricsFactory)?
    /// A logger of the embedder's that every component logs through (each line then carries a
    /// `component` metadata key, and the embedder's handler sets the level); nil: one logger per component
    /// made from `logFormat`, `logLevel`, `logLevels` and `logSink`.
    public var logger: Logger?
    /// Where spans go (`plumtree.broadcast`, `plumtree.deliver`); nil uses the bootstrapped
    /// `InstrumentationSystem.tracer`, and with none bootstrapped tracing costs nothing.
    public var tracer: (any Tracer)?
    /// The seed of the node's protocol randomness; nil draws one from the system at start.
    public var seed: UInt64?

    public init(name: String, bind: SocketAddress, profile: Profile = .lan) {
        self.name = name
        self.bind = bind
        self.profile = profile
        self.membership = profile.membership
        self.plumtree = profile.plumtree
    }

    /// The node core's configuration, announcing the node at `advertise`.
    func nodeCoreConfig(advertise: SocketAddress) -> NodeCoreConfig {
        var reconnect = ReconnectConfig()
        reconnect.interval = reconnectInterval
        reconnect.timeout = reconnectTimeout
        reconnect.firstRetry = min(joinRetryInterval ?? .seconds(2), reconnectInterval)
        reconnect.retrySeeds = joinRetryInterval != nil
        return NodeCoreConfig(name: name, membershipSource: .swim(advertise: advertise), membership: membership,
                              plumtree: plumtree, reconnect: reconnect, tags: tags, encryptionKeys: encryptionKeys)
    }
}
