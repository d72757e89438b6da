import Logging

/// The events a node logs, each with its component, level and whether floods of it are rate-limited, so
/// every driver logs them alike and docs/MONITORING.md can list them.
public enum KeyLogEvent: String, Sendable, CaseIterable {
    case peerJoined = "peer joined"
    case peerLeft = "peer left"
    case peerFailed = "peer failed"
    case graftFailed = "graft failed"
    case partitionSuspected = "partition suspected"
    case cacheEviction = "cache eviction"
    case configurationChanged = "configuration changed"
    case packetRefused = "packet refused"
    /// A packet or stream of another cluster (label_mismatch): once per distinct foreign label.
    case labelMismatch = "label mismatch"
    case healthChanged = "health changed"
    case plumtreeVersionMismatch = "plumtree version mismatch"
    case keyringChanged = "keyring changed"
    case keyringChangeFailed = "keyring change failed"

    /// The component whose level governs the event.
    public var component: LogComponent {
        switch self {
        case .peerJoined, .peerLeft, .peerFailed, .graftFailed, .partitionSuspected, .cacheEviction,
             .configurationChanged, .keyringChanged, .keyringChangeFailed, .plumtreeVersionMismatch:
            .protocol
        case .packetRefused, .labelMismatch: .network
        case .healthChanged: .metrics
        }
    }

    /// The level the event is logged at.
    public var level: Logger.Level {
        switch self {
        case .peerJoined, .peerLeft, .configurationChanged, .healthChanged: .info
        case .keyringChanged: .notice
        case .keyringChangeFailed, .plumtreeVersionMismatch: .warning
        case .cacheEviction: .debug
        case .peerFailed, .graftFailed, .packetRefused, .labelMismatch: .warning
        case .partitionSuspected: .error
        }
    }

    /// Whether a flood of this event goes through a ``LogRateLimiter``.
    public var isRateLimited: Bool {
        switch self {
        case .cacheEviction, .packetRefused, .graftFailed, .labelMismatch: true
        default: false
        }
    }
}

/// Span names and attribute keys for swift-distributed-tracing, shared by the node and the docs.
public enum PlumtreeTracing {
    /// A broadcast originated here.
    public static let broadcastSpan = "plumtree.broadcast"
    /// A message handed to the application.
    public static let deliverSpan = "plumtree.deliver"
    /// A message this node grafted: from its first Graft until it arrives or the node gives up (then the
    /// span's status is an error). Each Graft sent, retries included, is a ``graftSentEvent`` on it. A Graft
    /// that only moves the tree (tree optimization, or re-attaching a node left without eager peer) is a
    /// span of its own, ended at once.
    public static let graftSpan = "plumtree.graft"
    /// A Graft this node received and answered from its cache (or could not: the message was gone).
    public static let graftServeSpan = "plumtree.graft.serve"
    /// Event on a ``graftSpan``: one Graft sent, with ``peerAttribute`` and ``graftAttemptAttribute``.
    public static let graftSentEvent = "graft.sent"
    /// Event on a ``graftSpan``: the grafted message arrived.
    public static let graftSucceededEvent = "graft.succeeded"
    /// Event on a ``graftSpan``: the node gave up after the last retry.
    public static let graftFailedEvent = "graft.failed"
    /// Attribute: the message id in hex.
    public static let messageIDAttribute = "plumtree.message_id"
    /// Attribute: hops travelled.
    public static let hopsAttribute = "plumtree.hops"
    /// Attribute: the node that broadcast the message.
    public static let originAttribute = "plumtree.origin"
    /// Attribute: the payload's size in bytes.
    public static let payloadBytesAttribute = "plumtree.payload_bytes"
    /// Attribute: the peer a Graft went to or came from.
    public static let peerAttribute = "plumtree.peer"
    /// Attribute: why a Graft was sent, `missing_message` or `tree_repair`.
    public static let graftReasonAttribute = "plumtree.graft.reason"
    /// Attribute: Grafts sent for the message so far (1 is the first, more are retries).
    public static let graftAttemptAttribute = "plumtree.graft.attempts"
    /// Attribute: how the graft ended, `succeeded` or `failed`.
    public static let graftOutcomeAttribute = "plumtree.graft.outcome"
    /// Attribute: seconds from the first Graft to the message's arrival.
    public static let graftLatencyAttribute = "plumtree.graft.latency_seconds"
    /// Attribute: whether a received Graft was answered with the payload.
    public static let graftServedAttribute = "plumtree.graft.served"
}
