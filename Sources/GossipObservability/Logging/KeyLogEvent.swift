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
    case healthChanged = "health changed"

    /// The component whose level governs the event.
    public var component: LogComponent {
        switch self {
        case .peerJoined, .peerLeft, .peerFailed, .graftFailed, .partitionSuspected, .cacheEviction,
             .configurationChanged:
            .protocol
        case .packetRefused: .network
        case .healthChanged: .metrics
        }
    }

    /// The level the event is logged at.
    public var level: Logger.Level {
        switch self {
        case .peerJoined, .peerLeft, .configurationChanged, .healthChanged: .info
        case .cacheEviction: .debug
        case .peerFailed, .graftFailed, .packetRefused: .warning
        case .partitionSuspected: .error
        }
    }

    /// Whether a flood of this event goes through a ``LogRateLimiter``.
    public var isRateLimited: Bool {
        switch self {
        case .cacheEviction, .packetRefused, .graftFailed: true
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
    /// Attribute: the message id in hex.
    public static let messageIDAttribute = "plumtree.message_id"
    /// Attribute: hops travelled.
    public static let hopsAttribute = "plumtree.hops"
    /// Attribute: the node that broadcast the message.
    public static let originAttribute = "plumtree.origin"
    /// Attribute: the payload's size in bytes.
    public static let payloadBytesAttribute = "plumtree.payload_bytes"
}
