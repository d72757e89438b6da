import CoreMetrics
import Plumtree
import ProtocolSupport
import MetricsTestSupport
import struct GossipSimulator.EventQueue

/// A deterministic in-memory network in virtual time that drives real `PlumtreeCore`s.
///
/// Links have a fixed base latency per pair (1-10 ms by default, so the fastest path is often not the
/// shortest) plus up to 0.5 ms of jitter; packets can be lost, nodes can crash, and the cluster can be split in two. The
/// harness plays membership: every node hears `memberUp` for every other node (each in its own shuffled
/// order, or all in the same order as nodes that learn the cluster from one push/pull), and failures or partitions are reported after a detection delay. Everything random draws from
/// one seed, so a run replays exactly.
final class SimulatedCluster {
    struct Node {
        var name: String
        var core: PlumtreeCore
        var alive = true
        var scheduled: Instant?
    }

    enum Event {
        case packet(from: Int, to: Int, bytes: [UInt8])
        case memberUp(at: Int, member: Int)
        case memberDown(at: Int, member: Int)
    }

    private(set) var nodes: [Node] = []
    private var indexByName: [String: Int] = [:]
    private(set) var now = Instant(nanoseconds: 1_000_000_000)
    private var random: SeededRandom
    private var events = EventQueue<Event>()
    private var timers = EventQueue<Int>()
    private var output: [PlumtreeOutput] = []
    private var linkSalt: UInt64

    /// Fraction of packets dropped, 0...1.
    var lossRate = 0.0
    /// Partition side per node while partitioned; packets between sides are dropped.
    private(set) var side: [Int]?
    /// Nodes cut off from everyone without membership noticing: every packet to or from them is dropped.
    var unreachable: Set<Int> = []

    /// Per message: payload copies that reached live nodes, deliveries per node, the largest hop count.
    private(set) var payloadReceipts: [MessageID: Int] = [:]
    private(set) var deliveries: [MessageID: [Int: Int]] = [:]
    private(set) var lastDeliveryHop: [MessageID: Int] = [:]
    /// Grafts that asked for a payload, per message id.
    private(set) var graftsFor: [MessageID: Int] = [:]
    /// Messages sent, by type byte.
    private(set) var sentByType: [UInt8: Int] = [:]
    /// A running hash of every output, to compare two runs.
    private(set) var traceHash: UInt64 = 0xcbf2_9ce4_8422_2325
    let metrics: [RecordingMetrics]
    var log: [String]?
    /// Whether every output is folded into `traceHash` (costly; for the determinism test).
    var tracing = false
    /// Called for every message a node sends (from, to, envelope bytes), after the sender's state changed,
    /// to instrument a run from outside the cores.
    var onSend: ((Int, Int, [UInt8]) -> Void)?
    /// Called after every input a node handled (packet, timer, membership change), with its index.
    var afterCall: ((Int) -> Void)?

    /// Base link latencies are drawn from this range, in milliseconds.
    let latencyRange: ClosedRange<Int64>
    let config: PlumtreeConfig
    /// When each node last started (its first start is the cluster's creation).
    private(set) var startedAt: [Instant] = []

    init(
        size: Int, config: PlumtreeConfig, seed: UInt64, lossRate: Double = 0, latencyMilliseconds: ClosedRange<Int64> = 1...10,
        sameMemberOrder: Bool = false
    ) {
        random = SeededRandom(seed: seed)
        latencyRange = latencyMilliseconds
        self.config = config
        linkSalt = random.next()
        self.lossRate = lossRate
        var metrics: [RecordingMetrics] = []
        for index in 0..<size {
            let name = "node-\(index)"
            let factory = RecordingMetrics()
            metrics.append(factory)
            let core = PlumtreeCore(config: config, localID: name, seed: random.next(), metrics: factory, now: now)
            nodes.append(Node(name: name, core: core))
            indexByName[name] = index
        }
        self.metrics = metrics
        startedAt = Array(repeating: now, count: size)
        for index in 0..<size {
            var others = Array(0..<size).filter { $0 != index }
            if !sameMemberOrder { others.shuffle(using: &random) }
            for other in others {
                let name = nodes[other].name, time = now
                call(index) { $0.memberUp(name, advertisesPlumtree: true, now: time, into: &$1) }
            }
        }
    }

    var aliveIndices: [Int] { nodes.indices.filter { nodes[$0].alive } }

    func index(of name: String) -> Int? { indexByName[name] }

    // MARK: - Driving

    @discardableResult
    func broadcast(from index: Int, payload: [UInt8]? = nil) -> MessageID {
        var id: MessageID?
        let body = payload ?? Array("message \(payloadReceipts.count) from \(index)".utf8)
        call(index) { core, out in id = try? core.broadcast(body, now: now, into: &out) }
        guard let id else { fatalError("broadcast refused") }
        payloadReceipts[id] = 0
        deliveries[id] = [:]
        lastDeliveryHop[id] = 0
        return id
    }

    /// Broadcasts one message every `spacing`, from `origins` in turn or else from random live nodes;
    /// returns (id, origin) pairs.
    func broadcastSeries(count: Int, spacing: Duration, from origins: [Int]? = nil) -> [(MessageID, Int)] {
        var ids: [(MessageID, Int)] = []
        for index in 0..<count {
            let origin = origins.map { $0[index % $0.count] } ?? randomAlive()
            ids.append((broadcast(from: origin), origin))
            run(for: spacing)
        }
        return ids
    }

    /// A random live node.
    func randomAlive() -> Int {
        let alive = aliveIndices
        return alive[Int(random.next() % UInt64(alive.count))]
    }

    /// Runs every event and timer up to `deadline`.
    func run(until deadline: Instant) {
        while true {
            let nextEvent = events.nextTime.map(Instant.init(nanoseconds:))
            let nextTimer = timers.nextTime.map(Instant.init(nanoseconds:))
            guard let next = [nextEvent, nextTimer].compactMap({ $0 }).min(), next <= deadline else { break }
            now = next
            if let time = nextEvent, time == next, let event = events.pop() {
                process(event.payload)
            } else if let timer = timers.pop() {
                let index = timer.payload
                guard nodes[index].alive, nodes[index].scheduled == Instant(nanoseconds: timer.time) else { continue }
                nodes[index].scheduled = nil
                call(index) { core, out in core.handleTimeout(now: now, into: &out) }
            }
        }
        now = max(now, deadline)
    }

    func run(for duration: Duration) { run(until: now + duration) }

    /// Crashes nodes at once; the others hear of it after `detection`.
    func crash(_ crashed: [Int], detection: Duration) {
        for index in crashed { nodes[index].alive = false }
        for observer in nodes.indices where nodes[observer].alive {
            for index in crashed { events.push(at: now + detection, .memberDown(at: observer, member: index)) }
        }
    }

    /// Starts a crashed node again as a fresh process (a new core, nothing remembered). It learns every
    /// live member at once, as from a join's push/pull; the others hear of it after `detection`.
    func restart(_ index: Int, detection: Duration) {
        guard !nodes[index].alive else { return }
        nodes[index].core = PlumtreeCore(config: config, localID: nodes[index].name, seed: random.next(), metrics: metrics[index], now: now)
        nodes[index].alive = true
        nodes[index].scheduled = nil
        startedAt[index] = now
        for other in nodes.indices where other != index && nodes[other].alive {
            events.push(at: now, .memberUp(at: index, member: other))
            events.push(at: now + detection, .memberUp(at: other, member: index))
        }
    }

    /// Splits the cluster by `sides`; each side hears the other fail after `detection`.
    func partition(_ sides: [Int], detection: Duration) {
        side = sides
        for observer in nodes.indices where nodes[observer].alive {
            for other in nodes.indices where other != observer && sides[other] != sides[observer] {
                events.push(at: now + detection, .memberDown(at: observer, member: other))
            }
        }
    }

    /// Heals the partition; members rejoin after `detection`.
    func heal(detection: Duration) {
        guard let sides = side else { return }
        side = nil
        for observer in nodes.indices where nodes[observer].alive {
            for other in nodes.indices where other != observer && sides[other] != sides[observer] {
                events.push(at: now + detection, .memberUp(at: observer, member: other))
            }
        }
    }

    /// Hands raw bytes to a node as if `from` had sent them; returns the refusal, if any.
    func inject(_ bytes: [UInt8], to index: Int) -> PlumtreeDecodeError? {
        var error: PlumtreeDecodeError?
        call(index) { core, out in
            let first = out.count
            core.receive(envelope: bytes, now: now, into: &out)
            if let index = out[first...].firstIndex(where: { if case .refused = $0 { true } else { false } }),
               case .refused(let refusal) = out.remove(at: index) { error = refusal }
        }
        return error
    }

    // MARK: - Measures

    /// Relative message redundancy of one broadcast: m / (n - 1) - 1 over the nodes alive now.
    func rmr(_ id: MessageID) -> Double {
        let n = aliveIndices.count
        return Double(payloadReceipts[id] ?? 0) / Double(n - 1) - 1
    }

    /// Every running node's neighbours (eager and lazy), by index.
    func overlay() -> [Int: Set<Int>] {
        var held: [Int: Set<Int>] = [:]
        for index in aliveIndices {
            let snapshot = nodes[index].core.snapshot
            held[index] = Set((snapshot.eagerPeers + snapshot.lazyPeers).compactMap { indexByName[$0] })
        }
        return held
    }

    /// Links of `overlay` held by one end only (the other end does not hold it, or is not running).
    static func oneSidedLinks(_ overlay: [Int: Set<Int>]) -> Int {
        overlay.reduce(0) { total, entry in
            total + entry.value.filter { !(overlay[$0]?.contains(entry.key) ?? false) }.count
        }
    }

    /// Whether the links of `overlay` reach every node it lists from any one of them.
    static func isConnected(_ overlay: [Int: Set<Int>]) -> Bool {
        guard let start = overlay.keys.min() else { return true }
        var reached: Set<Int> = [start]
        var frontier = [start]
        while let next = frontier.popLast() {
            for other in overlay[next] ?? [] where reached.insert(other).inserted { frontier.append(other) }
        }
        return reached.count == overlay.count
    }

    /// Whether every live node except the origin delivered `id` exactly once.
    func deliveredExactlyOnceEverywhere(_ id: MessageID, origin: Int, among indices: [Int]? = nil) -> Bool {
        let counts = deliveries[id] ?? [:]
        for index in indices ?? aliveIndices where index != origin {
            guard counts[index] == 1 else { return false }
        }
        return counts.values.allSatisfy { $0 == 1 }
    }

    // MARK: - Internals

    private func call(_ index: Int, _ body: (inout PlumtreeCore, inout [PlumtreeOutput]) -> Void) {
        guard nodes[index].alive else { return }
        output.removeAll(keepingCapacity: true)
        body(&nodes[index].core, &output)
        for item in output { route(item, from: index) }
        afterCall?(index)
        if let deadline = nodes[index].core.nextDeadline {
            let at = max(deadline, now)
            if at != nodes[index].scheduled {
                nodes[index].scheduled = at
                timers.push(at: at, index)
            }
        }
    }

    private func route(_ item: PlumtreeOutput, from index: Int) {
        switch item {
        case .deliver(let message):
            if tracing { mix(UInt64(index) &* 31 &+ message.id.low &+ UInt64(message.hops) ^ now.nanoseconds) }
            deliveries[message.id, default: [:]][index, default: 0] += 1
            lastDeliveryHop[message.id] = max(lastDeliveryHop[message.id] ?? 0, message.hops)
        case .graft, .refused, .tree:
            // Refusals are counted in the core's metrics and snapshot.
            break
        case .send(let name, let bytes, _):
            guard let target = indexByName[name] else { return }
            let header = 3 + Int(bytes[2])
            let type = bytes[header]
            sentByType[type, default: 0] += 1
            onSend?(index, target, bytes)
            if type == 3, bytes[header + 1] == 1 { graftsFor[Self.id(in: bytes, at: header + 2), default: 0] += 1 }
            if tracing {
                mix(UInt64(index) << 32 | UInt64(target) << 8 | UInt64(type) ^ now.nanoseconds)
                for byte in bytes { mix(UInt64(byte)) }
            }
            if lossRate > 0, Double(random.next() % 1_000_000) / 1_000_000 < lossRate { return }
            if let side, side[index] != side[target] { return }
            if unreachable.contains(index) || unreachable.contains(target) { return }
            let jitter = Duration.microseconds(Int64(random.next() % 500))
            events.push(at: now + latency(index, target) + jitter, .packet(from: index, to: target, bytes: bytes))
        }
    }

    private func process(_ event: Event) {
        switch event {
        case .packet(let from, let to, let bytes):
            guard nodes[to].alive else { return }
            if log != nil {
                let h = 3 + Int(bytes[2])
                log?.append("\(now) \(from)->\(to) type \(bytes[h]) before: eager=\(nodes[to].core.snapshot.eagerPeers)")
            }
            if let side, side[from] != side[to] { return }
            let header = 3 + Int(bytes[2])
            if bytes[header] == 1 { payloadReceipts[Self.id(in: bytes, at: header + 1), default: 0] += 1 }
            call(to) { core, out in core.receive(envelope: bytes, now: now, into: &out) }
        case .memberUp(let at, let member):
            let name = nodes[member].name, time = now
            call(at) { core, out in core.memberUp(name, advertisesPlumtree: true, now: time, into: &out) }
        case .memberDown(let at, let member):
            let name = nodes[member].name, time = now
            call(at) { core, out in core.memberDown(name, now: time, into: &out) }
        }
    }

    private func latency(_ a: Int, _ b: Int) -> Duration {
        var x = UInt64(min(a, b)) << 32 | UInt64(max(a, b))
        x ^= linkSalt
        x = (x ^ (x >> 33)) &* 0xff51_afd7_ed55_8ccd
        x = (x ^ (x >> 33)) &* 0xc4ce_b9fe_1a85_ec53
        x ^= x >> 33
        return .microseconds(latencyRange.lowerBound * 1_000 + Int64(x % UInt64((latencyRange.upperBound - latencyRange.lowerBound) * 1_000 + 1)))
    }

    private func mix(_ value: UInt64) {
        traceHash = (traceHash ^ value) &* 0x100_0000_01b3
    }

    private static func id(in bytes: [UInt8], at offset: Int) -> MessageID {
        var high: UInt64 = 0, low: UInt64 = 0
        for i in 0..<8 { high = high << 8 | UInt64(bytes[offset + i]) }
        for i in 8..<16 { low = low << 8 | UInt64(bytes[offset + i]) }
        return MessageID(high: high, low: low)
    }
}
