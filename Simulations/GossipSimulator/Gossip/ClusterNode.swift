import Plumtree
import ProtocolSupport

/// A simulated gossip node: the real Plumtree core over the simulated network.
///
/// With ``MembershipMode/oracle`` the simulation hands it membership (every node knows every other from the
/// start, and the cluster tells it when one fails after a detection delay), which isolates Plumtree's own
/// behaviour and scales furthest. With ``MembershipMode/swim`` the real membership core runs underneath,
/// carries Plumtree's messages as user messages and feeds the overlay from its member events, exactly as
/// the node binary does.
public struct ClusterNode: SimulatedNode {
    public let id: NodeID
    public private(set) var core: PlumtreeCore
    let clusterSize: Int
    var output: [PlumtreeOutput] = []
    var streamToken: UInt64 = 0

    public let membershipMode: MembershipMode

    public init(_ context: NodeContext, config: PlumtreeConfig, membership: MembershipMode = .oracle) {
        id = context.id
        membershipMode = membership
        clusterSize = context.clusterSize
        core = PlumtreeCore(config: config, localID: context.id.name, seed: context.seed, metrics: context.metrics, now: context.now)
    }

    public mutating func start(now: Instant, io: inout NodeIO) {
        for index in 0..<clusterSize where index != id.index {
            core.memberUp(NodeID(index).name, advertisesPlumtree: true, now: now, into: &output)
        }
        flush(&io)
    }

    /// Broadcasts a payload carrying `key` (see ``BroadcastPayload``).
    public mutating func broadcast(key: UInt64, size: Int, now: Instant, io: inout NodeIO) throws(PlumtreeBroadcastError) {
        let payload = BroadcastPayload.make(key: key, size: size)
        try core.broadcast(payload, now: now, into: &output)
        io.observe(.originated(message: key, bytes: payload.count))
        flush(&io)
    }

    /// The oracle reports `member` up or down.
    public mutating func member(_ member: NodeID, up: Bool, now: Instant, io: inout NodeIO) {
        if up {
            core.memberUp(member.name, advertisesPlumtree: true, now: now, into: &output)
        } else {
            core.memberDown(member.name, now: now, into: &output)
        }
        flush(&io)
    }

    public mutating func receiveDatagram(_ bytes: [UInt8], from: NodeID, now: Instant, io: inout NodeIO) {
        // A refusal is counted by the core under its reason; nothing else to do here.
        try? core.receive(envelope: bytes, now: now, into: &output)
        flush(&io)
    }

    public mutating func receiveStream(_ bytes: [UInt8], stream: StreamID, now: Instant, io: inout NodeIO) {
        try? core.receive(envelope: bytes, now: now, into: &output)
        flush(&io)
    }

    public mutating func handleTimeout(now: Instant, io: inout NodeIO) {
        core.handleTimeout(now: now, into: &output)
        flush(&io)
    }

    public var nextDeadline: Instant? { core.nextDeadline }

    /// The metrics the node's cores declare.
    public static func descriptors(_ mode: MembershipMode) -> [MetricDescriptor] {
        PlumtreeCore.descriptors
    }

    mutating func flush(_ io: inout NodeIO) {
        for item in output {
            switch item {
            case .send(let to, let bytes, let preferReliable):
                guard let peer = NodeID(name: to) else { continue }
                if preferReliable {
                    streamToken &+= 1
                    io.openStream(to: peer, token: streamToken, bytes: bytes, expectsReply: false)
                } else {
                    io.send(bytes, to: peer)
                }
            case .deliver(let message):
                if let key = BroadcastPayload.key(of: message.payload) {
                    io.observe(.delivered(message: key, hops: message.hops))
                }
            }
        }
        output.removeAll(keepingCapacity: true)
    }
}
