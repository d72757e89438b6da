#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The tunables of the membership protocol, with memberlist's three profiles as defaults.
///
/// Every duration is a base value: Lifeguard scales the probe interval and the probe timeout by the local
/// health (awareness score + 1) at run time, and the suspicion timeout and push/pull interval grow with the
/// cluster size, exactly as hashicorp/memberlist computes them.
public struct MembershipConfig: Sendable, Equatable {
    /// Time between two probes of one member each (memberlist `ProbeInterval`).
    public var probeInterval: Duration
    /// How long to wait for a direct ack before asking other members to probe indirectly
    /// (memberlist `ProbeTimeout`). Should be around the 99th percentile of the network's RTT.
    public var probeTimeout: Duration
    /// How many members are asked to probe a member that did not answer directly (`IndirectChecks`).
    public var indirectChecks: Int
    /// Whether a member that answered neither directly nor indirectly is also pinged over a TCP stream
    /// before being suspected (the inverse of memberlist's `DisableTcpPings`). Only used for members that
    /// speak protocol 3 or later.
    public var tcpPings: Bool
    /// Multiplier of the suspicion timeout: `SuspicionMult x max(1, log10(n)) x ProbeInterval`.
    public var suspicionMult: Int
    /// The longest suspicion lasts this many times the minimum; independent confirmations (Lifeguard) shrink
    /// it towards the minimum (`SuspicionMaxTimeoutMult`).
    public var suspicionMaxTimeoutMult: Int
    /// A broadcast is sent `RetransmitMult x ceil(log10(n + 1))` times before it is dropped.
    public var retransmitMult: Int
    /// Time between two gossip rounds (`GossipInterval`).
    public var gossipInterval: Duration
    /// Members gossiped to in each round (`GossipNodes`).
    public var gossipNodes: Int
    /// How long dead members keep receiving gossip, and how long they stay in the member table before they
    /// are reaped (`GossipToTheDeadTime`).
    public var gossipToTheDeadTime: Duration
    /// Time between two periodic full state exchanges over TCP; scaled up above 32 members. Zero disables
    /// the periodic exchange (joins still push/pull) (`PushPullInterval`).
    public var pushPullInterval: Duration
    /// The deadline of every stream this node opens (`TCPTimeout`).
    public var tcpTimeout: Duration
    /// Lifeguard: the probe interval and timeout are multiplied by at most this (`AwarenessMaxMultiplier`).
    /// 1 switches the local health awareness off.
    public var awarenessMaxMultiplier: Int
    /// The largest datagram sent; piggybacked gossip fills packets up to it (`UDPBufferSize`).
    public var udpBufferSize: Int
    /// Dead (not left) members may reclaim their name from a new address after this long; `nil` means never
    /// (`DeadNodeReclaimTime`).
    public var deadNodeReclaimTime: Duration?
    /// Whether outgoing packets and streams are LZW-compressed when that makes them smaller
    /// (`EnableCompression`). Inbound compressed messages are always accepted.
    public var compression: Bool
    /// With a keyring installed: drop inbound plaintext packets and streams (`GossipVerifyIncoming`).
    public var verifyIncoming: Bool
    /// With a keyring installed: encrypt what we send (`GossipVerifyOutgoing`).
    public var verifyOutgoing: Bool
    /// The cluster label (memberlist `Label`): 1...255 bytes of UTF-8 put in a header on every packet and
    /// every stream this node opens, and authenticated when encrypting; empty means none. Clusters sharing
    /// addresses stay apart because each refuses what carries another label.
    public var label: String = ""
    /// memberlist `SkipInboundLabelCheck`: accept unlabelled packets and streams as if they carried our
    /// label, and refuse those that still have a header. Meant for a transport that strips the header
    /// before this node sees it; this node still sends labelled.
    public var skipInboundLabelCheck = false
    /// The largest metadata (serf tags) a node may announce, in bytes (`MetaMaxSize`).
    public static let metaMaxSize = 512

    /// memberlist's `DefaultLANConfig`: tuned for a local network with RTTs well under 500 ms.
    public static let lan = MembershipConfig(
        probeInterval: .seconds(1), probeTimeout: .milliseconds(500), indirectChecks: 3, tcpPings: true,
        suspicionMult: 4, suspicionMaxTimeoutMult: 6, retransmitMult: 4, gossipInterval: .milliseconds(200),
        gossipNodes: 3, gossipToTheDeadTime: .seconds(30), pushPullInterval: .seconds(30),
        tcpTimeout: .seconds(10), awarenessMaxMultiplier: 8, udpBufferSize: 1400, deadNodeReclaimTime: nil,
        compression: true, verifyIncoming: true, verifyOutgoing: true
    )

    /// memberlist's `DefaultWANConfig`: slower probes, longer timeouts, more gossip fan-out.
    public static let wan: MembershipConfig = {
        var config = MembershipConfig.lan
        config.tcpTimeout = .seconds(30)
        config.suspicionMult = 6
        config.pushPullInterval = .seconds(60)
        config.probeTimeout = .seconds(3)
        config.probeInterval = .seconds(5)
        config.gossipNodes = 4
        config.gossipInterval = .milliseconds(500)
        config.gossipToTheDeadTime = .seconds(60)
        return config
    }()

    /// memberlist's `DefaultLocalConfig`: loopback or a single host, fast detection.
    public static let local: MembershipConfig = {
        var config = MembershipConfig.lan
        config.tcpTimeout = .seconds(1)
        config.indirectChecks = 1
        config.retransmitMult = 2
        config.suspicionMult = 3
        config.pushPullInterval = .seconds(15)
        config.probeTimeout = .milliseconds(200)
        config.probeInterval = .seconds(1)
        config.gossipInterval = .milliseconds(100)
        config.gossipToTheDeadTime = .seconds(15)
        return config
    }()

    public init(
        probeInterval: Duration, probeTimeout: Duration, indirectChecks: Int, tcpPings: Bool, suspicionMult: Int,
        suspicionMaxTimeoutMult: Int, retransmitMult: Int, gossipInterval: Duration, gossipNodes: Int,
        gossipToTheDeadTime: Duration, pushPullInterval: Duration, tcpTimeout: Duration,
        awarenessMaxMultiplier: Int, udpBufferSize: Int, deadNodeReclaimTime: Duration?, compression: Bool,
        verifyIncoming: Bool, verifyOutgoing: Bool
    ) {
        self.probeInterval = probeInterval
        self.probeTimeout = probeTimeout
        self.indirectChecks = indirectChecks
        self.tcpPings = tcpPings
        self.suspicionMult = suspicionMult
        self.suspicionMaxTimeoutMult = suspicionMaxTimeoutMult
        self.retransmitMult = retransmitMult
        self.gossipInterval = gossipInterval
        self.gossipNodes = gossipNodes
        self.gossipToTheDeadTime = gossipToTheDeadTime
        self.pushPullInterval = pushPullInterval
        self.tcpTimeout = tcpTimeout
        self.awarenessMaxMultiplier = awarenessMaxMultiplier
        self.udpBufferSize = udpBufferSize
        self.deadNodeReclaimTime = deadNodeReclaimTime
        self.compression = compression
        self.verifyIncoming = verifyIncoming
        self.verifyOutgoing = verifyOutgoing
    }
}

/// memberlist's scaling formulas (util.go), shared by the core and by tests that predict its timing.
public enum MembershipMath {
    /// The minimum suspicion timeout: `suspicionMult x max(1, log10(max(1, n))) x interval`, with the node
    /// scale truncated to thousandths as memberlist does.
    public static func suspicionTimeout(suspicionMult: Int, members n: Int, probeInterval: Duration) -> Duration {
        let nodeScale = max(1.0, log10(max(1.0, Double(n))))
        let scaled = (Double(probeInterval.nanosecondsClamped) * Double(Int(nodeScale * 1000))) / 1000
        return .nanoseconds(Int64(suspicionMult) * Int64(scaled))
    }

    /// How often a broadcast is sent before it is dropped: `retransmitMult x ceil(log10(n + 1))`.
    public static func retransmitLimit(retransmitMult: Int, members n: Int) -> Int {
        retransmitMult * Int(log10(Double(n + 1)).rounded(.up))
    }

    /// The push/pull interval, multiplied by `ceil(log2(n) - log2(32)) + 1` above 32 members.
    public static func pushPullInterval(_ interval: Duration, members n: Int) -> Duration {
        guard n > 32 else { return interval }
        let multiplier = (log2(Double(n)) - log2(32.0)).rounded(.up) + 1
        return interval * Int(multiplier)
    }

    /// Lifeguard's remaining suspicion time after `confirmations` of the `expected` independent ones:
    /// log-scaled from `max` down to `min`, floored to milliseconds (suspicion.go).
    public static func suspicionTimeout(
        confirmations n: Int, expected k: Int, min: Duration, max: Duration
    ) -> Duration {
        guard k > 0 else { return min }
        let fraction = log(Double(n) + 1) / log(Double(k) + 1)
        let raw = max.seconds - fraction * (max.seconds - min.seconds)
        let timeout = Duration.milliseconds(Int64((1000 * raw).rounded(.down)))
        return timeout < min ? min : timeout
    }
}
