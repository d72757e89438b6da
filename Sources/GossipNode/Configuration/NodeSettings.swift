import GossipObservability
import Logging
import Membership
import Plumtree
import ProtocolSupport

/// Every setting of a node by key, as the config file, the GOSSIP_* environment and the flags name them.
///
/// The file nests by the part before the dot (`membership:` then `probe_interval: 2s`); the environment
/// writes `GOSSIP_MEMBERSHIP_PROBE_INTERVAL=2s`; flags use the top-level keys (`--bind`, `--join`...).
extension GossipNodeConfiguration {
    public static let settings = SettingsSchema<GossipNodeConfiguration>(identity + membershipSettings + plumtreeSettings + inboundStreamSettings)

    /// Builds a configuration from a profile's defaults, a YAML file, the environment and flags, in that
    /// order of increasing precedence. The name and bind address must come from one of them.
    public static func load(file: String?, environment: [String: String], flags: [(key: String, value: RawSetting)])
        throws(ConfigurationError) -> GossipNodeConfiguration
    {
        let loader = ConfigurationLoader(schema: settings, profileKey: "profile", defaultProfile: "lan") { name throws(ConfigurationError) in
            guard let profile = Profile(rawValue: name.lowercased()) else {
                throw .invalidValue(key: "profile", value: name, expected: "one of lan, wan, local", source: .flag)
            }
            return GossipNodeConfiguration(name: "", bind: SocketAddress(ipv4: 127, 0, 0, 1, port: 7946), profile: profile)
        }
        let configuration = try loader.load(file: file, environment: environment, flags: flags)
        guard !configuration.name.isEmpty else {
            throw .missing(key: "name", hint: "give the node a name unique in the cluster with --name NAME")
        }
        return configuration
    }

    typealias NodeSetting = Setting<GossipNodeConfiguration>

    private static let identity: [NodeSetting] = [
        .scalar("name", help: "the node's name, unique in the cluster") { c, text, source throws(ConfigurationError) in
            let name = text.trimmed
            guard !name.isEmpty, name.utf8.count <= 255 else {
                throw .invalidValue(key: "name", value: text, expected: "1 to 255 bytes of text", source: source)
            }
            c.name = name
        },
        .scalar("bind", help: "HOST:PORT where membership listens (UDP and TCP)") { c, text, source throws(ConfigurationError) in
            c.bind = try ValueParsers.address(text, key: "bind", source: source)
        },
        .scalar("advertise", help: "HOST:PORT announced to other members, if not the bind address") { c, text, source throws(ConfigurationError) in
            c.advertise = try ValueParsers.address(text, key: "advertise", source: source)
        },
        .scalar("admin", help: "HOST:PORT of the admin HTTP server (/metrics, /health, admin API)") { c, text, source throws(ConfigurationError) in
            c.admin = try ValueParsers.address(text, key: "admin", source: source)
        },
        .scalar("admin_token", help: "token required by mutating admin routes (prefer admin_token_file: flags show in ps)") { c, text, _ in
            c.adminToken = text.trimmed.isEmpty ? nil : text.trimmed
        },
        .scalar("admin_token_file", help: "file holding the admin token, so that it stays out of ps and the environment") { c, text, source throws(ConfigurationError) in
            c.adminToken = try AdminTokenFile.read(text.trimmed, key: "admin_token_file", source: source)
        },
        flag("admin_allow_unauthenticated", "serve the admin read routes off loopback without a token (write routes stay off)",
             \.adminAllowUnauthenticated),
        NodeSetting("join", shape: .list, help: "HOST:PORT of a member to join (an IP, [IPv6] or a name resolved at every attempt); repeatable") { c, raw, source throws(ConfigurationError) in
            c.seeds = []
            for item in raw.asList { c.seeds.append(try ValueParsers.seed(item, key: "join", source: source)) }
        },
        NodeSetting("tags", shape: .map, help: "KEY=VALUE tags announced to the cluster; repeatable") { c, raw, source throws(ConfigurationError) in
            for (key, value) in try raw.asPairs(key: "tags", source: source) { c.tags[key] = value }
        },
        NodeSetting("encrypt", shape: .list, help: "base64 AES key (16, 24 or 32 bytes); the first encrypts") { c, raw, source throws(ConfigurationError) in
            c.encryptionKeys = []
            for item in raw.asList {
                guard let key = Base64.decode(item.trimmed), [16, 24, 32].contains(key.count) else {
                    throw .invalidValue(key: "encrypt", value: item, expected: "a base64 key of 16, 24 or 32 bytes (gossip-node keygen makes one)", source: source)
                }
                c.encryptionKeys.append(key)
            }
        },
        .scalar("keyring_file", help: "JSON file of base64 keys, primary first (serf's keyring file): read at start, written after every key change") { c, text, _ in
            c.keyringFile = text.trimmed.isEmpty ? nil : text.trimmed
        },
        .scalar("label", help: "cluster label (memberlist Label): 1 to 255 bytes put on every packet and stream; only nodes with the same label talk (empty: none)") { c, text, source throws(ConfigurationError) in
            c.membership.label = try ValueParsers.clusterLabel(text, key: "label", source: source)
        },
        flag("label_skip_inbound_check", "accept unlabelled packets and streams as ours and refuse labelled ones, still sending labelled (memberlist SkipInboundLabelCheck, for a transport that strips the label)",
             \.membership.skipInboundLabelCheck),
        .scalar("profile", help: "timing profile: lan, wan or local") { _, _, _ in
            // Resolved by the loader before any other setting: it chooses the defaults.
        },
        .scalar("log_format", help: "text or json") { c, text, source throws(ConfigurationError) in
            c.logFormat = LogFormat(rawValue: try ValueParsers.choice(text, key: "log_format", among: ["text", "json"], source: source)) ?? .text
        },
        .scalar("log_level", help: "trace, debug, info, notice, warning, error or critical") { c, text, source throws(ConfigurationError) in
            let levels = Logger.Level.allCases.map(\.rawValue)
            c.logLevel = Logger.Level(rawValue: try ValueParsers.choice(text, key: "log_level", among: levels, source: source))
        },
        .scalar("log_levels", help: "per-component levels over log_level, e.g. protocol=debug,network=info (protocol, network, metrics, admin)") { c, text, source throws(ConfigurationError) in
            do {
                c.logLevels.merge(try LoggingConfiguration.parseLevels(text)) { _, new in new }
            } catch {
                throw .invalidValue(key: "log_levels", value: text, expected: "\(error)", source: source)
            }
        },
        integer("delivery_buffer_limit", "messages and membership changes held per stream for a consumer that is behind", 1...100_000_000, \.deliveryBufferLimit),
        .scalar("delivery_mode", help: "drop_oldest (bounded memory; losses counted and reported as lagged), unbounded (never drops; memory grows while the consumer is behind) or discard (no consumer: nothing buffered, nothing counted lost; the agent without --print-messages)") { c, text, source throws(ConfigurationError) in
            let choice = try ValueParsers.choice(text, key: "delivery_mode", among: DeliveryMode.allCases.map(\.rawValue), source: source)
            c.deliveryMode = DeliveryMode(rawValue: choice) ?? .dropOldest
        },
        duration("leave_timeout", "how long a graceful leave waits for its announcement to spread", .zero ... .seconds(600), \.leaveTimeout),
        .scalar("seed", help: "seed of the node's protocol randomness (for reproducible runs)") { c, text, source throws(ConfigurationError) in
            guard let seed = UInt64(text.trimmed) else {
                throw .invalidValue(key: "seed", value: text, expected: "an unsigned 64-bit integer", source: source)
            }
            c.seed = seed
        },
    ]

    /// A duration setting, refused outside `range`: every timer of the node is bounded so that no value
    /// overflows the arithmetic of deadlines (`now + interval`), and none is so short it spins the loop.
    private static func duration(_ key: String, _ help: String, _ range: ClosedRange<Duration>,
                                 _ path: WritableKeyPath<GossipNodeConfiguration, Duration> & Sendable) -> NodeSetting {
        .scalar(key, help: help + " (\(DurationText.range(range)))") { c, text, source throws(ConfigurationError) in
            c[keyPath: path] = try ValueParsers.duration(text, key: key, range: range, source: source)
        }
    }

    private static func integer(_ key: String, _ help: String, _ range: ClosedRange<Int>,
                                _ path: WritableKeyPath<GossipNodeConfiguration, Int> & Sendable) -> NodeSetting {
        .scalar(key, help: help) { c, text, source throws(ConfigurationError) in
            c[keyPath: path] = try ValueParsers.integer(text, key: key, range: range, source: source)
        }
    }

    private static func size(_ key: String, _ help: String, _ range: ClosedRange<Int>,
                             _ path: WritableKeyPath<GossipNodeConfiguration, Int> & Sendable) -> NodeSetting {
        .scalar(key, help: help) { c, text, source throws(ConfigurationError) in
            c[keyPath: path] = try ValueParsers.bytes(text, key: key, range: range, source: source)
        }
    }

    private static func flag(_ key: String, _ help: String,
                             _ path: WritableKeyPath<GossipNodeConfiguration, Bool> & Sendable) -> NodeSetting {
        .scalar(key, help: help) { c, text, source throws(ConfigurationError) in
            c[keyPath: path] = try ValueParsers.boolean(text, key: key, source: source)
        }
    }

    private static let membershipSettings: [NodeSetting] = [
        duration("membership.probe_interval", "time between probes", .milliseconds(1) ... .seconds(3600), \.membership.probeInterval),
        duration("membership.probe_timeout", "wait for a direct ack before indirect probes", .milliseconds(1) ... .seconds(3600), \.membership.probeTimeout),
        integer("membership.indirect_checks", "members asked to probe indirectly", 0...16, \.membership.indirectChecks),
        flag("membership.tcp_pings", "TCP ping fallback before suspecting", \.membership.tcpPings),
        integer("membership.suspicion_mult", "suspicion timeout multiplier", 1...100, \.membership.suspicionMult),
        integer("membership.suspicion_max_timeout_mult", "longest suspicion over the shortest", 1...100, \.membership.suspicionMaxTimeoutMult),
        integer("membership.retransmit_mult", "broadcast retransmit multiplier", 1...100, \.membership.retransmitMult),
        duration("membership.gossip_interval", "time between gossip rounds", .milliseconds(1) ... .seconds(3600), \.membership.gossipInterval),
        integer("membership.gossip_nodes", "members gossiped to per round", 1...64, \.membership.gossipNodes),
        duration("membership.gossip_to_the_dead_time", "how long dead members still get gossip", .zero ... .seconds(86_400), \.membership.gossipToTheDeadTime),
        duration("membership.push_pull_interval", "time between full state exchanges (0 disables)", .zero ... .seconds(86_400), \.membership.pushPullInterval),
        duration("membership.tcp_timeout", "deadline of every stream", .milliseconds(1) ... .seconds(3600), \.membership.tcpTimeout),
        integer("membership.awareness_max_multiplier", "Lifeguard's largest probe slow-down", 1...64, \.membership.awarenessMaxMultiplier),
        size("membership.udp_buffer_size", "largest datagram sent", 576...65_507, \.membership.udpBufferSize),
        flag("membership.compression", "LZW-compress outgoing messages when smaller", \.membership.compression),
        duration("membership.reconnect_interval", "longest wait between attempts to reach a failed member again", .seconds(1) ... .seconds(3600), \.reconnectInterval),
        duration("membership.reconnect_timeout", "how long a failed member is tried again (0: never)", .zero ... .seconds(30 * 24 * 3600), \.reconnectTimeout),
    ]

    private static let plumtreeSettings: [NodeSetting] = [
        integer("plumtree.eager_fanout", "neighbours receiving full payloads", 1...64, \.plumtree.eagerFanout),
        integer("plumtree.lazy_fanout", "neighbours receiving announcements", 0...128, \.plumtree.lazyFanout),
        duration("plumtree.ihave_interval", "longest wait before announcements are flushed", .milliseconds(1) ... .seconds(60), \.plumtree.ihaveInterval),
        integer("plumtree.ihave_batch_size", "announcements that trigger a flush", 1...64, \.plumtree.ihaveBatchSize),
        duration("plumtree.graft_timeout", "wait for an announced payload before grafting", .milliseconds(1) ... .seconds(600), \.plumtree.graftTimeout),
        integer("plumtree.graft_max_retries", "graft retries before giving up", 0...32, \.plumtree.graftMaxRetries),
        duration("plumtree.message_cache_ttl", "how long payloads stay cached", .milliseconds(1) ... .seconds(86_400), \.plumtree.messageCacheTTL),
        integer("plumtree.message_cache_max_size", "payloads cached at most", 1...10_000_000, \.plumtree.messageCacheMaxSize),
        size("plumtree.message_cache_max_bytes", "payload bytes cached at most; the oldest go first", (64 << 10)...(16 << 30), \.plumtree.messageCacheMaxBytes),
        size("plumtree.max_outbound_stream_bytes", "bytes of Plumtree streams not yet read by peers before broadcasts are refused", (64 << 10)...(16 << 30), \.plumtree.maxOutboundStreamBytes),
        integer("plumtree.max_outbound_streams", "Plumtree streams not yet read by peers before broadcasts are refused", 1...65_536, \.plumtree.maxOutboundStreams),
        duration("plumtree.prune_settle_delay", "how long a duplicate's prune waits for overlapping broadcasts (0: at once)", .zero ... .seconds(60), \.plumtree.pruneSettleDelay),
        integer("plumtree.optimization_threshold", "hop gain that re-grafts the tree", 1...64, \.plumtree.optimizationThreshold),
        integer("plumtree.optimization_confirmations", "messages that must show that gain before the tree re-grafts (1: the paper)", 1...64, \.plumtree.optimizationConfirmations),
        flag("plumtree.tree_optimization", "whether the tree optimizes itself", \.plumtree.treeOptimization),
        size("plumtree.max_message_size", "largest payload broadcast accepts", 1...(16 << 20), \.plumtree.maxMessageSize),
        duration("plumtree.anti_entropy_interval", "time between anti-entropy exchanges", .milliseconds(1) ... .seconds(3600), \.plumtree.antiEntropyInterval),
        duration("plumtree.anti_entropy_max_interval", "longest time between anti-entropy exchanges while they find nothing", .milliseconds(1) ... .seconds(86_400), \.plumtree.antiEntropyMaxInterval),
        .scalar("plumtree.protocol_versions", help: "Plumtree protocol versions spoken, N or LOW-HIGH within \(PlumtreeVersions.tagValue(PlumtreeVersions.known)); widen then narrow for a rolling upgrade") { c, text, source throws(ConfigurationError) in
            guard let range = PlumtreeVersions.parse(text.trimmingCharacters(in: .whitespaces)),
                  PlumtreeVersions.known.contains(range.lowerBound), PlumtreeVersions.known.contains(range.upperBound) else {
                throw .invalidValue(key: "plumtree.protocol_versions", value: text,
                                    expected: "N or LOW-HIGH within \(PlumtreeVersions.tagValue(PlumtreeVersions.known)), e.g. 1-2",
                                    source: source)
            }
            c.plumtree.protocolVersions = range
        },
        size("plumtree.packet_budget", "largest message sent over UDP; larger ones use TCP", 256...65_000, \.plumtree.packetBudget),
    ]

    // Inbound stream limits (docs/ARCHITECTURE.md "Limits"). A block of its own.
    private static let inboundStreamSettings: [NodeSetting] = [
        integer("membership.max_inbound_streams", "inbound TCP streams read at once; more are refused at accept",
                1...65_536, \.inboundStreams.maxConcurrent),
        size("membership.inbound_stream_budget", "bytes buffered across inbound TCP streams; a stream passing it is cut",
             (1 << 20)...(16 << 30), \.inboundStreams.memoryBudget),
    ]
}
