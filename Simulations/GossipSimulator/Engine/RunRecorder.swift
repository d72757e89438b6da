import Foundation
import ProtocolSupport

/// Everything the engine saw during a run that the measures need: broadcasts, deliveries, traffic,
/// member-state observations and the fault log. Aggregated as it goes, so memory stays bounded by the
/// number of messages and nodes, not by the number of events.
public final class RunRecorder {
    struct MessageRecord {
        var origin: NodeID
        var originIncarnation: Int
        var time: Instant
        var bytes: Int
        /// One bit per node index: delivered.
        var delivered: [UInt64]
        var deliveredCount: Int = 0
        var maxHops: Int = 0
    }

    /// A fault or lifecycle change, for the report's timeline and for time-to-detect.
    public struct FaultEvent: Sendable {
        public enum Kind: String, Sendable { case crash, restart, leave, partition, heal, isolate, slow, conditions }
        public var time: Instant
        public var kind: Kind
        public var nodes: [NodeID]
        public var detail: String
    }

    /// One node's view of another changing to a non-alive state (suspect, dead, left).
    public struct StateObservation: Sendable {
        public var time: Instant
        public var observer: NodeID
        public var member: NodeID
        public var state: ObservedMemberState
        /// False when the member's process was running and reachable from the observer both ways: the
        /// observation was wrong (a false suspicion or a false death).
        public var genuine: Bool
    }

    private(set) var messages: [UInt64: MessageRecord] = [:]
    private(set) var messageOrder: [UInt64] = []
    /// When each message was last delivered anywhere.
    public private(set) var lastDelivery: [UInt64: Instant] = [:]
    public private(set) var latency = LatencyHistogram()
    public private(set) var faults: [FaultEvent] = []
    public private(set) var stateObservations: [StateObservation] = []
    /// Datagrams handed to the network, and their bytes.
    public internal(set) var datagramsSent = 0
    public internal(set) var datagramBytes = 0
    /// Datagrams that never arrived, by cause.
    public internal(set) var datagramsLost = 0
    public internal(set) var datagramsCut = 0
    public internal(set) var datagramsToDownNode = 0
    public internal(set) var datagramsDuplicated = 0
    public internal(set) var streamsOpened = 0
    public internal(set) var streamBytes = 0
    public internal(set) var streamsFailed = 0
    /// Deliveries of messages nobody recorded originating (should stay 0).
    public internal(set) var unknownDeliveries = 0
    /// A message delivered twice to one node within one life of that node (should stay 0: Plumtree
    /// delivers exactly once). A node restarted after a message was broadcast may deliver it again: the
    /// fresh process has forgotten it, and that is not counted.
    public private(set) var duplicateDeliveries = 0
    /// When each restarted node began its current life.
    private var lifeStart: [Int: Instant] = [:]
    private let clusterCapacity: Int

    init(clusterCapacity: Int) {
        self.clusterCapacity = clusterCapacity
    }

    func record(_ observation: Observation, node: NodeID, incarnation: Int, now: Instant) {
        switch observation {
        case .originated(let message, let bytes):
            guard messages[message] == nil else { return }
            let words = (clusterCapacity + 63) / 64
            var record = MessageRecord(
                origin: node, originIncarnation: incarnation, time: now, bytes: bytes,
                delivered: [UInt64](repeating: 0, count: words))
            record.delivered[node.index / 64] |= 1 << UInt64(node.index % 64)
            messages[message] = record
            messageOrder.append(message)
        case .delivered(let message, let hops):
            guard var record = messages[message] else {
                unknownDeliveries += 1
                return
            }
            let word = node.index / 64, bit = UInt64(1) << UInt64(node.index % 64)
            guard word < record.delivered.count else { return }
            guard record.delivered[word] & bit == 0 else {
                // Both deliveries fall in the node's current life when the message is younger than it.
                if record.time >= lifeStart[node.index] ?? .zero { duplicateDeliveries += 1 }
                return
            }
            record.delivered[word] |= bit
            record.deliveredCount += 1
            record.maxHops = max(record.maxHops, hops)
            latency.record(now.duration(since: record.time))
            lastDelivery[message] = now
            messages[message] = record
        case .memberState(let member, let state):
            recordState(member: member, state: state, observer: node, genuine: true, now: now)
        }
    }

    func recordState(member: NodeID, state: ObservedMemberState, observer: NodeID, genuine: Bool, now: Instant) {
        guard state != .alive else { return }
        stateObservations.append(StateObservation(time: now, observer: observer, member: member, state: state, genuine: genuine))
    }

    func nodeRestarted(_ node: NodeID, at time: Instant) {
        lifeStart[node.index] = time
    }

    func fault(_ kind: FaultEvent.Kind, _ nodes: [NodeID], at time: Instant, _ detail: String = "") {
        faults.append(FaultEvent(time: time, kind: kind, nodes: nodes, detail: detail))
    }

    /// Whether `node` delivered (or originated) `message`.
    public func delivered(_ message: UInt64, at node: NodeID) -> Bool {
        guard let record = messages[message], node.index / 64 < record.delivered.count else { return false }
        return record.delivered[node.index / 64] & (1 << UInt64(node.index % 64)) != 0
    }

    /// The most hops any node's delivery of `message` took (0 when none delivered it).
    public func maxHops(of message: UInt64) -> Int { messages[message]?.maxHops ?? 0 }

    /// The message keys in the order they were originated.
    public var originatedMessages: [UInt64] { messageOrder }
}

/// Delivery latencies in log-spaced buckets (2 % wide from 1 µs up), so percentiles and a CDF cost
/// constant memory however many deliveries a run makes.
public struct LatencyHistogram: Sendable {
    static let growth = 1.02
    static let logGrowth = 0.019802627296179712  // ln(1.02)
    private(set) var counts: [Int] = []
    public private(set) var count = 0
    public private(set) var sumSeconds = 0.0

    mutating func record(_ duration: Duration) {
        let seconds = duration.seconds
        sumSeconds += seconds
        count += 1
        let micros = max(1, seconds * 1e6)
        let bucket = Int(log(micros) / Self.logGrowth)
        if bucket >= counts.count { counts.append(contentsOf: repeatElement(0, count: bucket - counts.count + 1)) }
        counts[bucket] += 1
    }

    /// The upper edge, in seconds, of bucket `index`.
    static func upper(_ index: Int) -> Double { exp(Double(index + 1) * logGrowth) / 1e6 }

    /// The `q` quantile (0...1) in seconds; 0 when nothing was recorded.
    public func quantile(_ q: Double) -> Double {
        guard count > 0 else { return 0 }
        let target = max(1, Int((q * Double(count)).rounded(.up)))
        var seen = 0
        for (index, n) in counts.enumerated() {
            seen += n
            if seen >= target { return Self.upper(index) }
        }
        return Self.upper(counts.count - 1)
    }

    /// (seconds, cumulative share) points of the CDF, one per non-empty bucket.
    public var cdf: [(Double, Double)] {
        guard count > 0 else { return [] }
        var points: [(Double, Double)] = []
        var seen = 0
        for (index, n) in counts.enumerated() where n > 0 {
            seen += n
            points.append((Self.upper(index), Double(seen) / Double(count)))
        }
        return points
    }

    public var meanSeconds: Double { count == 0 ? 0 : sumSeconds / Double(count) }
}
