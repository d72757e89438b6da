import CoreMetrics
import ProtocolSupport

/// Identifies one stream (a TCP connection carrying one request and at most one reply): the node that
/// opened it and a token that node chose.
public struct StreamHandle: Hashable, Sendable, CustomStringConvertible {
    public var opener: NodeID
    public var token: UInt64

    public init(opener: NodeID, token: UInt64) {
        self.opener = opener
        self.token = token
    }

    public var description: String { "\(opener.name)#\(token)" }
}

/// Something a node reports for the run's measures; the engine stamps it with the time and the node.
public enum Observation: Sendable, Equatable {
    /// The node originated broadcast `message` (a key the scenario chose, e.g. a sequence number carried in
    /// the payload) of `bytes` payload bytes.
    case originated(message: UInt64, bytes: Int)
    /// The node handed `message` to its application, `hops` hops from its origin.
    case delivered(message: UInt64, hops: Int)
    /// The node now sees `member` in `state`.
    case memberState(member: NodeID, state: ObservedMemberState)
}

/// A member's state as one node sees it.
public enum ObservedMemberState: String, Sendable, Equatable, CaseIterable {
    case alive, suspect, dead, left
}

/// What a node asks the simulated world to do, appended during one call and drained by the engine after
/// it. The engine reuses one buffer for every call, so handling an event allocates nothing for it.
public struct NodeIO {
    public struct Datagram {
        public var to: NodeID
        public var bytes: [UInt8]
    }

    public struct StreamRequest {
        public var to: NodeID
        public var token: UInt64
        public var bytes: [UInt8]
        public var expectsReply: Bool
        public var timeout: Duration?
    }

    public struct StreamReply {
        public var stream: StreamHandle
        public var bytes: [UInt8]
    }

    public internal(set) var datagrams: [Datagram] = []
    public internal(set) var streams: [StreamRequest] = []
    public internal(set) var replies: [StreamReply] = []
    public internal(set) var observations: [Observation] = []
    /// What the node handed its application, payloads included; collected only while the engine has a
    /// handler for them (``Simulation/onApplicationDelivery``), so large runs copy no payloads.
    public internal(set) var applicationDeliveries: [ApplicationDelivery] = []
    /// Whether ``deliverToApplication(_:)`` keeps what it is given.
    public internal(set) var wantsApplicationDeliveries = false

    /// One message a node handed its application.
    public struct ApplicationDelivery: Sendable {
        /// The key the broadcast was recorded under.
        public var key: UInt64
        /// The node that broadcast it, when its name is a simulated node's.
        public var origin: NodeID?
        /// The application's payload, without the simulator's key.
        public var payload: [UInt8]
        /// Hops from the origin.
        public var hops: Int
    }

    public init() {}

    /// Sends one datagram (UDP): subject to the link's loss, duplication, reordering and to partitions.
    public mutating func send(_ bytes: [UInt8], to node: NodeID) {
        datagrams.append(Datagram(to: node, bytes: bytes))
    }

    /// Opens a stream to `node` carrying `bytes`. The node then hears either `receiveStreamReply` (the
    /// reply, or empty bytes once the far end has read a stream that expects none) or `streamFailed` for
    /// `token`, at the latest `timeout` (default: the simulation's stream timeout) after opening.
    public mutating func openStream(to node: NodeID, token: UInt64, bytes: [UInt8], expectsReply: Bool, timeout: Duration? = nil) {
        streams.append(StreamRequest(to: node, token: token, bytes: bytes, expectsReply: expectsReply, timeout: timeout))
    }

    /// Answers a stream another node opened.
    public mutating func reply(to stream: StreamHandle, bytes: [UInt8]) {
        replies.append(StreamReply(stream: stream, bytes: bytes))
    }

    /// Reports something for the run's measures.
    public mutating func observe(_ observation: Observation) {
        observations.append(observation)
    }

    /// Hands a delivered message to the application's handler, if the engine has one.
    public mutating func deliverToApplication(_ delivery: ApplicationDelivery) {
        if wantsApplicationDeliveries { applicationDeliveries.append(delivery) }
    }

    var isEmpty: Bool {
        datagrams.isEmpty && streams.isEmpty && replies.isEmpty && observations.isEmpty && applicationDeliveries.isEmpty
    }

    mutating func clear() {
        datagrams.removeAll(keepingCapacity: true)
        streams.removeAll(keepingCapacity: true)
        replies.removeAll(keepingCapacity: true)
        observations.removeAll(keepingCapacity: true)
        applicationDeliveries.removeAll(keepingCapacity: true)
    }
}

/// Why a stream failed.
public enum StreamFailureReason: Sendable, Equatable {
    /// The far host answered that nothing listens (its process is down).
    case refused
    /// No answer in time (a partition, or a far end that never replied).
    case timedOut
}

/// What the engine hands a node it creates.
public struct NodeContext {
    /// The node being created.
    public var id: NodeID
    /// How many times this node has been restarted (0 on its first start).
    public var restarts: Int
    /// The node's own seed, split from the scenario's seed; a restart gets a fresh one.
    public var seed: UInt64
    /// The node's own metrics registry: every metric the node's cores create lands here and nowhere else.
    public var metrics: any MetricsFactory
    /// The virtual time of creation.
    public var now: Instant
    /// Every node of the cluster, in index order (the node may use some as join seeds).
    public var clusterSize: Int
}

/// Anything with the shape of a protocol core that the engine can drive: inputs carry the current virtual
/// time, outputs go to a caller-owned `NodeIO`, and `nextDeadline` says when to call `handleTimeout`.
///
/// The engine keeps one timer per node and re-arms it after every call.
public protocol SimulatedNode {
    /// Called once after creation (and after a restart) to let the node join or announce itself.
    mutating func start(now: Instant, io: inout NodeIO)
    /// A datagram from `from` arrived.
    mutating func receiveDatagram(_ bytes: [UInt8], from: NodeID, now: Instant, io: inout NodeIO)
    /// Another node opened `stream` carrying `bytes`; answer with `io.reply(to:bytes:)` if it expects one.
    mutating func receiveStream(_ bytes: [UInt8], stream: StreamHandle, now: Instant, io: inout NodeIO)
    /// The reply to a stream this node opened arrived.
    mutating func receiveStreamReply(_ bytes: [UInt8], token: UInt64, from: NodeID, now: Instant, io: inout NodeIO)
    /// A stream this node opened failed (far node down, partition, or no reply in time).
    mutating func streamFailed(token: UInt64, to: NodeID, reason: StreamFailureReason, now: Instant, io: inout NodeIO)
    /// Called once `now >= nextDeadline`.
    mutating func handleTimeout(now: Instant, io: inout NodeIO)
    /// When the node next wants `handleTimeout`; nil when it waits for input only.
    var nextDeadline: Instant? { get }
    /// Begins a graceful leave; the engine stops the node a little later.
    mutating func leave(now: Instant, io: inout NodeIO)
}

extension SimulatedNode {
    public mutating func receiveStream(_ bytes: [UInt8], stream: StreamHandle, now: Instant, io: inout NodeIO) {}
    public mutating func receiveStreamReply(_ bytes: [UInt8], token: UInt64, from: NodeID, now: Instant, io: inout NodeIO) {}
    public mutating func streamFailed(token: UInt64, to: NodeID, reason: StreamFailureReason, now: Instant, io: inout NodeIO) {}
    public mutating func leave(now: Instant, io: inout NodeIO) {}
}
