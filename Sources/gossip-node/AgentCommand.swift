import ArgumentParser
import GossipNode
import Logging
import ServiceLifecycle

/// `gossip-node agent`: runs one node until SIGTERM or SIGINT (or a leave through the admin API), then
/// leaves the cluster gracefully and exits 0.
struct AgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent",
        abstract: "Run a gossip node until SIGTERM or SIGINT, then leave gracefully.",
        discussion: """
            Settings come from flags, then GOSSIP_* environment variables, then --config FILE (YAML), then the \
            profile's defaults. Every setting of the file can be given in the environment: \
            membership.probe_interval is GOSSIP_MEMBERSHIP_PROBE_INTERVAL. `gossip-node settings` lists every \
            setting with its variable and its default under each profile.
            """
    )

    @Option(help: "The node's name, unique in the cluster.") var name: String?
    @Option(help: "HOST:PORT where membership listens (UDP and TCP; default 127.0.0.1:7946).") var bind: String?
    @Option(help: "HOST:PORT of the admin HTTP server: /metrics, /health and the admin API.") var admin: String?
    @Option(help: "HOST:PORT announced to other members, when not the bind address.") var advertise: String?
    @Option(help: "HOST:PORT of a member to join: an IP, [IPv6], or a name resolved at every attempt; repeatable.") var join: [String] = []
    @Option(help: "KEY=VALUE tag announced to the cluster; repeatable.") var tag: [String] = []
    @Option(help: "Base64 encryption key (16, 24 or 32 bytes), as serf's -encrypt.") var encrypt: String?
    @Option(name: .customLong("keyring-file"),
            help: "JSON file of base64 keys, primary first, as serf's -keyring-file: read at start (created from --encrypt when missing), written after every key change.")
    var keyringFile: String?
    @Option(help: "Cluster label (memberlist's Label), 1 to 255 bytes: only nodes with the same label talk.")
    var label: String?
    @Flag(name: .customLong("label-skip-inbound-check"),
          help: "Accept unlabelled packets and streams as ours and refuse labelled ones; still send labelled (memberlist SkipInboundLabelCheck).")
    var labelSkipInboundCheck = false
    @Option(help: "Timing profile: lan, wan or local.") var profile: String?
    @Option(help: "A YAML file with any setting.") var config: String?
    @Option(name: .customLong("log-format"), help: "text or json.") var logFormat: String?
    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.") var logLevel: String?
    @Option(name: .customLong("log-levels"),
            help: "Per-component levels over --log-level, e.g. protocol=debug,network=info (protocol, network, metrics, admin).")
    var logLevels: String?
    @Option(name: .customLong("delivery-buffer-limit"),
            help: "Messages and membership changes held per stream for a consumer that is behind (default 10000).")
    var deliveryBufferLimit: String?
    @Option(name: .customLong("delivery-mode"),
            help: "drop_oldest (bounded; losses counted and reported) or unbounded (never drops; memory grows while the consumer is behind).")
    var deliveryMode: String?
    @Option(name: .customLong("admin-token"),
            help: "Token required by the admin write routes. Visible in ps: prefer --admin-token-file or GOSSIP_ADMIN_TOKEN.")
    var adminToken: String?
    @Option(name: .customLong("admin-token-file"), help: "A file holding the admin token (kept out of ps and the environment).")
    var adminTokenFile: String?
    @Flag(name: .customLong("admin-allow-unauthenticated"),
          help: "Let an --admin address off loopback run without a token: read routes for anyone, write routes off.")
    var adminAllowUnauthenticated = false
    @Flag(name: .customLong("print-messages"), help: "Write every delivered message to stdout as one JSON object per line.")
    var printMessages = false

    /// The flags as settings, by the keys the config file and the environment use.
    var flagSettings: [(key: String, value: RawSetting)] {
        var flags: [(key: String, value: RawSetting)] = []
        func add(_ key: String, _ value: String?) { if let value { flags.append((key, .scalar(value))) } }
        add("name", name)
        add("bind", bind)
        add("admin", admin)
        add("advertise", advertise)
        add("profile", profile)
        add("label", label)
        add("keyring_file", keyringFile)
        if labelSkipInboundCheck { flags.append(("label_skip_inbound_check", .scalar("true"))) }
        add("log_format", logFormat)
        add("log_level", logLevel)
        add("log_levels", logLevels)
        add("delivery_buffer_limit", deliveryBufferLimit)
        add("delivery_mode", deliveryMode)
        add("admin_token", adminToken)
        add("admin_token_file", adminTokenFile)
        if adminAllowUnauthenticated { flags.append(("admin_allow_unauthenticated", .scalar("true"))) }
        if !join.isEmpty { flags.append(("join", .list(join))) }
        if !tag.isEmpty { flags.append(("tags", .list(tag))) }
        if let encrypt { flags.append(("encrypt", .list([encrypt]))) }
        return flags
    }

    func run() async throws {
        if adminToken != nil {
            printError("warning: --admin-token shows the token to every user of this host (ps); use --admin-token-file or GOSSIP_ADMIN_TOKEN")
        }
        var configuration: GossipNodeConfiguration
        do {
            configuration = try GossipNodeConfiguration.load(file: config, environment: processEnvironment(), flags: flagSettings)
        } catch {
            printError("error: \(error)")
            throw ExitStatus.usage
        }
        // Nothing reads the delivery streams unless messages are printed: buffering them would hold up to
        // `deliveryBufferLimit` payloads (10,000 of up to 64 KiB) for no one, and count every one pushed out
        // as lost to a consumer that does not exist.
        if !printMessages { configuration.deliveryMode = .discard }
        let node: GossipNode
        do {
            node = try await GossipNode(configuration: configuration)
        } catch {
            printError("error: \(Self.explain(error, configuration))")
            throw ExitStatus.refused
        }
        let printer = printMessages ? Task { for await message in node.messages { MessagePrinter.print(message) } } : nil
        do {
            try await node.start()
        } catch {
            if case .seedsUnreachable = error {
                // Keep running: the seeds may come up later, and others may join through us.
                printError("warning: \(error)")
            } else {
                printError("error: \(Self.explain(error, configuration))")
                await node.shutdown()
                throw ExitStatus.refused
            }
        }
        let group = ServiceGroup(
            // The node's run() also returns after a leave through the admin API: that ends the agent normally.
            configuration: .init(services: [.init(service: node, successTerminationBehavior: .gracefullyShutdownGroup)],
                                 gracefulShutdownSignals: [.sigterm, .sigint],
                                 logger: Logger(label: "gossip.lifecycle")))
        try await group.run()
        printer?.cancel()
    }

    /// The node's error, with the flag that sets what it names: the library's words name no flag.
    static func explain(_ error: any Error, _ configuration: GossipNodeConfiguration) -> String {
        switch error as? GossipNodeError {
        case .addressInUse(let address)?:
            return "\(error); set another with \(address == configuration.admin ? "--admin" : "--bind")"
        case .nameInUse?:
            return "\(error) (--name)"
        default:
            return "\(error)"
        }
    }
}
