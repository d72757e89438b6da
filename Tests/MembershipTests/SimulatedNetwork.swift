import Membership
import MemberlistWire
import ProtocolSupport
import MetricsTestSupport
import struct GossipSimulator.EventQueue

/// A tiny virtual-time world for membership cores: N nodes, a network with latency and loss, crashes and
/// restarts. Everything random (latency, loss) draws from one seed, and events at the same instant run in
/// a fixed order, so a run replays exactly from its seed.
struct SimulatedNetwork {
    struct Node {
        var core: MembershipCore
        var metrics: RecordingMetrics
        var up = true
        /// Every output the core produced, in order (for determinism checks and assertions).
        var log: [MembershipOutput] = []
        /// Output log is kept only when asked; long runs would otherwise keep every packet.
        var keepLog: Bool
    }

    enum Delivery {
        case datagram(to: Int, from: SocketAddress, bytes: [UInt8])
        case streamRequest(to: Int, from: Int, request: StreamRequest, deadline: Instant)
        case streamResult(to: Int, id: StreamID, result: StreamResult, generation: Int)
    }

    var nodes: [Node] = []
    /// Restarts bump a node's generation so that answers meant for its previous life are dropped.
    var generations: [Int] = []
    var now = Instant.zero
    var random: SeededRandom
    var lossRate: Double = 0
    var minLatency: Duration = .milliseconds(1)
    var maxLatency: Duration = .milliseconds(5)
    var config: MembershipConfig
    /// The simulator's own event heap: events due at the same instant run in the order they were scheduled.
    private var queue = EventQueue<Delivery>()
    private var byAddress: [SocketAddress: Int] = [:]
    /// Each node's next deadline, refreshed after every call into it (max when the node is down), so the
    /// loop does not touch every core on every step.
    private var deadlines: [Instant] = []
    /// Whether each node runs (kept apart from `nodes` so that checking it copies nothing).
    private(set) var isUp: [Bool] = []
    /// Directed links (from, to) whose datagrams are all dropped.
    var blockedDatagrams: Set<[Int]> = []
    /// Directed links (from, to) whose stream connections are refused.
    var blockedStreams: Set<[Int]> = []
    /// Datagrams sent and lost so far.
    var datagramsSent = 0
    var datagramsLost = 0
    /// Events observed by each node: (time, observer, event).
    var events: [(Instant, Int, MemberEvent)] = []

    init(seed: UInt64, config: MembershipConfig = .lan) {
        self.random = SeededRandom(seed: seed)
        self.config = config
    }

    static func address(_ index: Int) -> SocketAddress {
        SocketAddress(ipv4: 10, 0, UInt8(index / 250), UInt8(index % 250 + 1), port: 7946)
    }

    static func name(_ index: Int) -> String { "node-\(index)" }

    /// Adds a node (not joined yet) and returns its index.
    @discardableResult
    mutating func addNode(meta: [UInt8] = [], keepLog: Bool = false, seed: UInt64? = nil, keyring: Keyring? = nil,
                          config nodeConfig: MembershipConfig? = nil) -> Int {
        let index = nodes.count
        let metrics = RecordingMetrics()
        let local = LocalNode(name: Self.name(index), address: Self.address(index), meta: meta)
        let core = try! MembershipCore(config: nodeConfig ?? config, local: local, seed: seed ?? UInt64(index) &* 7919 &+ 17,
                                       metrics: metrics, keyring: keyring, now: now)
        nodes.append(Node(core: core, metrics: metrics, keepLog: keepLog))
        generations.append(0)
        deadlines.append(core.nextDeadline ?? Instant(nanoseconds: .max))
        isUp.append(true)
        byAddress[Self.address(index)] = index
        return index
    }

    /// Crashes a node: it stops answering and its timers stop.
    mutating func crash(_ index: Int) {
        nodes[index].up = false
        isUp[index] = false
        deadlines[index] = Instant(nanoseconds: .max)
    }

    /// Restarts a crashed node as a fresh core starting at `incarnation`.
    mutating func restart(_ index: Int, seed: UInt64, incarnation: UInt32, meta: [UInt8] = []) {
        let metrics = RecordingMetrics()
        let local = LocalNode(name: Self.name(index), address: Self.address(index), meta: meta)
        nodes[index].core = try! MembershipCore(config: config, local: local, seed: seed, metrics: metrics,
                                                incarnation: incarnation, now: now)
        nodes[index].metrics = metrics
        nodes[index].up = true
        isUp[index] = true
        generations[index] += 1
        deadlines[index] = nodes[index].core.nextDeadline ?? Instant(nanoseconds: .max)
    }

    // MARK: Driving

    mutating func join(_ index: Int, seeds: [Int]) {
        var out: [MembershipOutput] = []
        nodes[index].core.join(seeds.map(Self.address), now: now, into: &out)
        dispatch(from: index, out)
    }

    mutating func leave(_ index: Int) {
        var out: [MembershipOutput] = []
        nodes[index].core.leave(now: now, into: &out)
        dispatch(from: index, out)
    }

    mutating func updateMeta(_ index: Int, _ meta: [UInt8]) throws {
        var out: [MembershipOutput] = []
        try nodes[index].core.updateMeta(meta, now: now, into: &out)
        dispatch(from: index, out)
    }

    /// Injects raw bytes as a datagram from `source` to node `index`, at once.
    mutating func inject(_ bytes: [UInt8], to index: Int, from source: SocketAddress) -> [MembershipOutput] {
        var out: [MembershipOutput] = []
        nodes[index].core.receiveDatagram(bytes, from: source, now: now, into: &out)
        dispatch(from: index, out)
        return out
    }

    /// Routes outputs a test obtained by calling a core directly.
    mutating func deliverOutputs(from index: Int, _ outputs: [MembershipOutput]) { dispatch(from: index, outputs) }

    /// Runs the world until `end` (inclusive), delivering packets and firing timers in time order.
    /// Bounded: at most `maxSteps` steps, after which it stops where it is.
    mutating func run(until end: Instant, maxSteps: Int = 50_000_000) {
        var steps = 0
        while steps < maxSteps {
            steps += 1
            // The earliest timer among live nodes (ties: lowest index).
            var timerNode = -1
            var timerAt = Instant(nanoseconds: .max)
            for index in deadlines.indices where deadlines[index] < timerAt {
                timerAt = deadlines[index]
                timerNode = index
            }
            let eventAt = Instant(nanoseconds: queue.nextTime ?? .max)
            let nextAt = min(timerAt, eventAt)
            if nextAt > end { break }
            now = max(now, nextAt)
            if eventAt <= timerAt, let event = queue.pop() {
                deliver(event.payload)
            } else if timerNode >= 0 {
                var out: [MembershipOutput] = []
                nodes[timerNode].core.handleTimeout(now: now, into: &out)
                dispatch(from: timerNode, out)
            }
        }
        now = max(now, end)
    }

    mutating func run(for duration: Duration) { run(until: now + duration) }

    private mutating func latency() -> Duration {
        let span = UInt64(max(1, (maxLatency - minLatency).nanosecondsClamped))
        return minLatency + .nanoseconds(Int64(random.next(upperBound: span)))
    }

    private mutating func schedule(_ delivery: Delivery, after delay: Duration) {
        queue.push(at: now + delay, delivery)
    }

    private mutating func deliver(_ delivery: Delivery) {
        switch delivery {
        case .datagram(let to, let from, let bytes):
            guard isUp[to] else { return }
            var out: [MembershipOutput] = []
            nodes[to].core.receiveDatagram(bytes, from: from, now: now, into: &out)
            dispatch(from: to, out)
        case .streamRequest(let to, let from, let request, let deadline):
            let generation = generations[from]
            guard isUp[to] else {
                schedule(.streamResult(to: from, id: request.id, result: .failed(.refused), generation: generation),
                         after: latency())
                return
            }
            // The driver reads until the core says the request is complete, or refused: then it hands the
            // bytes over all the same, so the core counts the refusal and answers with an error.
            switch nodes[to].core.streamFrameStatus(request.request) {
            case .complete(let length) where length == request.request.count: break
            case .invalid: break
            case .complete, .needMore:
                schedule(.streamResult(to: from, id: request.id, result: .failed(.closed), generation: generation),
                         after: latency())
                return
            }
            var out: [MembershipOutput] = []
            let reply = nodes[to].core.receiveStream(request.request, from: Self.address(from), now: now, into: &out)
            dispatch(from: to, out)
            let back = latency()
            let result: StreamResult
            if lossRate > 0, Double(random.next() >> 11) / Double(1 << 53) < lossRate {
                // A lossy path loses TCP exchanges too (as retransmissions outlast the deadline).
                schedule(.streamResult(to: from, id: request.id, result: .failed(.timedOut), generation: generation),
                         after: deadline.duration(since: now))
                return
            }
            if now + back > deadline {
                result = .failed(.timedOut)
            } else if request.expectsReply {
                result = reply.map { .reply($0) } ?? .failed(.closed)
            } else {
                result = .reply([])
            }
            let delay = now + back > deadline ? deadline.duration(since: now) : back
            schedule(.streamResult(to: from, id: request.id, result: result, generation: generation), after: delay)
        case .streamResult(let to, let id, let result, let generation):
            guard isUp[to], generations[to] == generation else { return }
            var result = result
            if case .reply(let bytes) = result, !bytes.isEmpty, nodes[to].core.streamFrameStatus(bytes, direction: .reply) == .needMore {
                result = .failed(.closed)
            }
            var out: [MembershipOutput] = []
            nodes[to].core.streamCompleted(id, result: result, now: now, into: &out)
            dispatch(from: to, out)
        }
    }

    private mutating func dispatch(from index: Int, _ outputs: [MembershipOutput]) {
        deadlines[index] = isUp[index] ? nodes[index].core.nextDeadline ?? Instant(nanoseconds: .max) : Instant(nanoseconds: .max)
        if nodes[index].keepLog { nodes[index].log.append(contentsOf: outputs) }
        for output in outputs {
            switch output {
            case .sendDatagram(let to, let bytes):
                datagramsSent += 1
                guard let target = byAddress[to] else { continue }
                if blockedDatagrams.contains([index, target]) {
                    datagramsLost += 1
                    continue
                }
                if lossRate > 0, Double(random.next() >> 11) / Double(1 << 53) < lossRate {
                    datagramsLost += 1
                    continue
                }
                schedule(.datagram(to: target, from: Self.address(index), bytes: bytes), after: latency())
            case .openStream(let request):
                let generation = generations[index]
                guard let target = byAddress[request.to], !blockedStreams.contains([index, target]) else {
                    schedule(.streamResult(to: index, id: request.id, result: .failed(.refused), generation: generation),
                             after: latency())
                    continue
                }
                schedule(.streamRequest(to: target, from: index, request: request, deadline: now + request.timeout),
                         after: latency())
            case .event(let event):
                events.append((now, index, event))
            case .userMessage, .refused, .leaveBroadcastDone, .joinCompleted, .userMessageFailed:
                break
            }
        }
    }

    // MARK: Views

    /// What node `observer` believes about node `subject`.
    func state(of subject: Int, at observer: Int) -> MemberState? {
        nodes[observer].core.member(named: Self.name(subject))?.state
    }

    /// Whether every live node sees exactly the live nodes as alive.
    func converged(live: [Int]) -> Bool {
        live.allSatisfy { observer in
            let core = nodes[observer].core
            return core.counts.alive == live.count
                && live.allSatisfy { core.member(named: Self.name($0))?.state == .alive }
        }
    }
}
