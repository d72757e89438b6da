import CoreMetrics
import GossipSimulator
import ProtocolSupport

/// A deliberately small protocol for testing the engine itself: every node forwards each new message to
/// `fanout` random peers, pings a random peer every second over a stream, and counts what it does in
/// its own registry.
struct FloodNode: SimulatedNode {
    let id: NodeID
    let clusterSize: Int
    let fanout: Int
    var random: SeededRandom
    var seen: Set<UInt64> = []
    var received: [(from: NodeID, message: UInt64, at: Instant)] = []
    var nextPing: Instant
    var pingToken: UInt64 = 0
    var replies = 0
    var failures = 0
    let sent: Counter
    let delivered: Counter
    let duplicates: Counter
    let seenGauge: Gauge

    init(_ context: NodeContext, fanout: Int = 3) {
        id = context.id
        clusterSize = context.clusterSize
        self.fanout = fanout
        random = SeededRandom(seed: context.seed)
        nextPing = context.now + .seconds(1)
        sent = Counter(label: "flood_sent_total", factory: context.metrics)
        delivered = Counter(label: "flood_delivered_total", factory: context.metrics)
        duplicates = Counter(label: "flood_duplicate_total", factory: context.metrics)
        seenGauge = Gauge(label: "flood_seen", factory: context.metrics)
    }

    static func encode(_ message: UInt64, hops: UInt8) -> [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: message >> (8 * UInt64($0))) } + [hops]
    }

    static func decode(_ bytes: [UInt8]) -> (UInt64, UInt8)? {
        guard bytes.count == 9 else { return nil }
        var value: UInt64 = 0
        for i in 0..<8 { value |= UInt64(bytes[i]) << (8 * UInt64(i)) }
        return (value, bytes[8])
    }

    mutating func broadcast(_ message: UInt64, io: inout NodeIO) {
        seen.insert(message)
        io.observe(.originated(message: message, bytes: 9))
        forward(message, hops: 1, io: &io)
    }

    mutating func forward(_ message: UInt64, hops: UInt8, io: inout NodeIO) {
        for _ in 0..<fanout {
            let peer = Int(random.next() % UInt64(clusterSize))
            guard peer != id.index else { continue }
            sent.increment()
            io.send(Self.encode(message, hops: hops), to: NodeID(peer))
        }
    }

    mutating func start(now: Instant, io: inout NodeIO) {}

    mutating func receiveDatagram(_ bytes: [UInt8], from: NodeID, now: Instant, io: inout NodeIO) {
        guard let (message, hops) = Self.decode(bytes) else { return }
        received.append((from, message, now))
        guard seen.insert(message).inserted else {
            duplicates.increment()
            return
        }
        delivered.increment()
        seenGauge.record(seen.count)
        io.observe(.delivered(message: message, hops: Int(hops)))
        forward(message, hops: hops &+ 1, io: &io)
    }

    mutating func receiveStream(_ bytes: [UInt8], stream: StreamHandle, now: Instant, io: inout NodeIO) {
        io.reply(to: stream, bytes: bytes)
    }

    mutating func receiveStreamReply(_ bytes: [UInt8], token: UInt64, from: NodeID, now: Instant, io: inout NodeIO) {
        replies += 1
    }

    mutating func streamFailed(token: UInt64, to: NodeID, reason: StreamFailureReason, now: Instant, io: inout NodeIO) {
        failures += 1
    }

    mutating func ping(_ peer: NodeID, io: inout NodeIO) {
        pingToken += 1
        io.openStream(to: peer, token: pingToken, bytes: [1, 2, 3], expectsReply: true)
    }

    var nextDeadline: Instant? { nil }
    mutating func handleTimeout(now: Instant, io: inout NodeIO) {}
}
