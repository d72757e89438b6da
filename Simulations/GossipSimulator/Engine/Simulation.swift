import ProtocolSupport

/// The engine: N nodes of one kind in virtual time, one event queue, a simulated network with latency,
/// loss, duplication, reordering, partitions, crashes, restarts, graceful leaves and slow nodes.
///
/// Everything is driven from one seed. Events due at the same instant run in the order they were
/// scheduled, every random draw comes from a per-node stream split from the seed, and nothing iterates
/// a hash-ordered collection where the order matters: the same seed and the same script give the same run,
/// bit for bit.
///
/// ```swift
/// let sim = Simulation(seed: 7) { context in MyNode(context) }
/// sim.addNodes(16)
/// sim.run(for: .seconds(10))
/// sim.partition([sim.nodes(0..<8), sim.nodes(8..<16)])
/// sim.run(for: .seconds(30))
/// sim.heal()
/// ```
public final class Simulation<Node: SimulatedNode> {
    /// Builds a node (on `addNodes` and on every restart).
    public typealias Factory = (NodeContext) -> Node

    public enum NodeState: Sendable, Equatable {
        case running, crashed, left
    }

    /// Everything about a node but the node itself; kept apart from the (generic) nodes so that the
    /// engine's bookkeeping never copies a node.
    struct Slot {
        var state: NodeState
        /// Bumped at every crash, stop and restart: events meant for an earlier life are dropped.
        var life: UInt32 = 0
        var restarts = 0
        var armed: UInt64?
        var busyUntil: UInt64 = 0
        var processingDelay: UInt64 = 0
        var egress: SeededRandom
        var registry: (any SimulatedMetrics)?
    }

    /// Only `deferred` (rare: slow nodes) is boxed; every other event is stored inline, so scheduling one
    /// allocates nothing beyond its bytes.
    enum Event {
        case datagram(to: Int32, from: Int32, bytes: [UInt8])
        case streamOpen(to: Int32, from: Int32, token: UInt64, bytes: [UInt8], expectsReply: Bool, openerLife: UInt32)
        case streamReply(opener: Int32, from: Int32, token: UInt64, bytes: [UInt8], openerLife: UInt32)
        case streamFail(opener: Int32, to: Int32, token: UInt64, openerLife: UInt32, refused: Bool)
        case timer(node: Int32, life: UInt32)
        indirect case deferred(node: Int32, life: UInt32, Event)
        case stop(node: Int32, life: UInt32)
        case action(UInt64)
        case scrape
    }

    struct PendingStream: Hashable {
        var opener: Int32
        var token: UInt64
        var life: UInt32
    }

    /// The scenario's seed.
    public let seed: UInt64
    /// The current virtual time.
    public private(set) var now: Instant = .zero
    /// Conditions of every link without an override.
    public var defaultConditions: LinkConditions
    /// How long a stream waits for its far end before failing (memberlist's TCP timeout is 10 s).
    public var streamTimeout: Duration = .seconds(10)
    /// How long a leaving node keeps running to spread its leave before it stops.
    public var leaveGrace: Duration = .seconds(2)
    /// Builds each node life's metrics registry; by default the simulator's lightweight one.
    public var makeMetrics: (NodeID) -> any SimulatedMetrics = { _ in NodeMetricsRegistry() }
    /// What the engine saw: broadcasts, deliveries, traffic, faults.
    public let recorder: RunRecorder
    /// The sampled metrics, when scraping is on (`startScraping`).
    public private(set) var sampler: MetricsSampler?
    /// Number of events handled so far.
    public private(set) var eventsProcessed = 0

    private let factory: Factory
    // The engine's own bookkeeping is touched several times per event and never handed to a node or a
    // scenario closure, so no access to it can overlap another: the runtime's dynamic exclusivity check
    // (a thread-local access set, updated on every access to a class's stored property) is skipped for it.
    // `nodeStore` and `io` stay checked: `perform` lends them to caller code.
    @exclusivity(unchecked) private var slots: [Slot] = []
    private var nodeStore: [Node?] = []
    @exclusivity(unchecked) private var queue = EventQueue<Event>()
    private var io = NodeIO()
    /// Called with every message a node hands its application, after the node's own call is over, so the
    /// handler may act on the cluster (broadcast in turn, inject a fault).
    public var onApplicationDelivery: ((NodeID, NodeIO.ApplicationDelivery) -> Void)? {
        didSet { io.wantsApplicationDeliveries = onApplicationDelivery != nil }
    }
    @exclusivity(unchecked) private var topology = Topology()
    private var linkOverrides: [UInt64: LinkConditions] = [:]
    private var nodeOverrides: [Int: LinkConditions] = [:]
    private var actions: [UInt64: (Simulation) -> Void] = [:]
    private var nextAction: UInt64 = 0
    private var pendingStreams: Set<PendingStream> = []

    /// - Parameters:
    ///   - seed: every random draw of the run derives from it.
    ///   - conditions: the network's default link conditions.
    ///   - capacity: the most nodes this run will ever have (sizes per-message delivery bitmaps).
    ///   - factory: builds a node from its context.
    public init(seed: UInt64, conditions: LinkConditions = .lan, capacity: Int = 4096, factory: @escaping Factory) {
        self.seed = seed
        self.defaultConditions = conditions
        self.factory = factory
        self.recorder = RunRecorder(clusterCapacity: capacity)
    }

    // MARK: Nodes

    /// Number of nodes ever added (running or not).
    public var nodeCount: Int { slots.count }

    /// Every node ever added, in index order.
    public var allNodes: [NodeID] { (0..<slots.count).map(NodeID.init) }

    /// Nodes with the given indices.
    public func nodes(_ range: Range<Int>) -> [NodeID] { range.map(NodeID.init) }

    /// Nodes whose process currently runs.
    public var runningNodes: [NodeID] { slots.indices.filter { slots[$0].state == .running }.map(NodeID.init) }

    public func state(of node: NodeID) -> NodeState { slots[node.index].state }

    /// How many times `node` has been restarted.
    public func restarts(of node: NodeID) -> Int { slots[node.index].restarts }

    /// A copy of the node's current state (nil when it is not running), for assertions.
    public func node(_ id: NodeID) -> Node? { nodeStore[id.index] }

    /// The node's metrics registry (nil when it is not running).
    public func metrics(of node: NodeID) -> (any SimulatedMetrics)? { slots[node.index].registry }

    /// Adds and starts `count` nodes; returns their ids.
    @discardableResult
    public func addNodes(_ count: Int) -> [NodeID] {
        // Every new slot exists before the first of them boots, so each sees the whole cluster's size.
        let added = (slots.count..<slots.count + count).map(NodeID.init)
        for id in added {
            nodeStore.append(nil)
            slots.append(Slot(state: .crashed, egress: SeededRandom(seed: Self.mix(seed, UInt64(id.index), 0xE6_4E55))))
            topology.addNode()
        }
        for id in added { boot(id.index) }
        return added
    }

    private func boot(_ index: Int) {
        let registry = makeMetrics(NodeID(index))
        let context = NodeContext(
            id: NodeID(index), restarts: slots[index].restarts,
            seed: Self.mix(seed, UInt64(index), UInt64(slots[index].restarts) &+ 1),
            metrics: registry, now: now, clusterSize: slots.count)
        slots[index].registry = registry
        nodeStore[index] = factory(context)
        slots[index].state = .running
        slots[index].armed = nil
        io.clear()
        nodeStore[index]!.start(now: now, io: &io)
        afterCall(index)
    }

    /// Runs `body` on a running node at the current virtual time (a broadcast, a command), then sends
    /// what it asked for. Returns nil, without calling `body`, when the node is not running.
    @discardableResult
    public func perform<R>(on id: NodeID, _ body: (inout Node, Instant, inout NodeIO) throws -> R) rethrows -> R? {
        guard slots[id.index].state == .running, nodeStore[id.index] != nil else { return nil }
        io.clear()
        let result = try body(&nodeStore[id.index]!, now, &io)
        afterCall(id.index)
        return result
    }

    // MARK: Faults

    /// Stops the node's process at once: no leave message, its state is lost, its metrics target goes down.
    public func crash(_ id: NodeID) {
        guard slots[id.index].state == .running else { return }
        halt(id.index, as: .crashed)
        recorder.fault(.crash, [id], at: now)
    }

    /// Starts a crashed or departed node again as a fresh process (a new incarnation of the node with
    /// empty state, a fresh seed and a fresh metrics registry).
    public func restart(_ id: NodeID) {
        guard slots[id.index].state != .running else { return }
        slots[id.index].restarts += 1
        slots[id.index].life &+= 1
        recorder.fault(.restart, [id], at: now)
        recorder.nodeRestarted(id, at: now)
        boot(id.index)
    }

    /// Asks the node to leave gracefully; it stops `leaveGrace` later and is no longer a scrape target.
    public func leave(_ id: NodeID) {
        guard slots[id.index].state == .running else { return }
        recorder.fault(.leave, [id], at: now)
        perform(on: id) { node, now, io in node.leave(now: now, io: &io) }
        queue.push(at: now + leaveGrace, .stop(node: Int32(id.index), life: slots[id.index].life))
    }

    /// Splits the cluster into `groups` (nodes in no group form one more); no group reaches another, or
    /// with `oneWay` only the first group's traffic to the others is cut. Replaces any earlier partition.
    public func partition(_ groups: [[NodeID]], oneWay: Bool = false) {
        topology.partition(groups, oneWay: oneWay)
        recorder.fault(.partition, groups.flatMap { $0 }, at: now, oneWay ? "one-way, \(groups.count) groups" : "\(groups.count) groups")
    }

    /// Cuts `node` off from every other node, both ways.
    public func isolate(_ id: NodeID) {
        topology.partition([[id]], oneWay: false)
        recorder.fault(.isolate, [id], at: now)
    }

    /// Ends every partition and isolation.
    public func heal() {
        topology.heal()
        recorder.fault(.heal, [], at: now)
    }

    /// Whether a datagram from `from` to `to` would currently pass the partitions (ignoring loss).
    public func canReach(from: NodeID, to: NodeID) -> Bool { topology.canReach(from: from.index, to: to.index) }

    /// Makes the node slow: every datagram and stream it receives waits for the node to finish the previous
    /// one, each taking `delay` (zero restores full speed). Its timers still fire on time.
    public func setSlow(_ id: NodeID, delay: Duration) {
        slots[id.index].processingDelay = UInt64(max(0, delay.nanosecondsClamped))
        recorder.fault(.slow, [id], at: now, "\(delay)")
    }

    /// Overrides the conditions of the one-way link `from` -> `to` (nil restores the default).
    public func setConditions(_ conditions: LinkConditions?, from: NodeID, to: NodeID) {
        linkOverrides[Self.linkKey(from.index, to.index)] = conditions
        recorder.fault(.conditions, [from, to], at: now)
    }

    /// Overrides the conditions of every link into or out of `node` (nil restores the default).
    public func setConditions(_ conditions: LinkConditions?, for node: NodeID) {
        nodeOverrides[node.index] = conditions
        recorder.fault(.conditions, [node], at: now)
    }

    // MARK: Time

    /// Runs `action` at virtual time `time` (or now, if that is past).
    public func schedule(at time: Instant, _ action: @escaping (Simulation) -> Void) {
        let id = nextAction
        nextAction += 1
        actions[id] = action
        queue.push(at: max(time, now), .action(id))
    }

    /// Scrapes every node's metrics every `interval` of virtual time from now on (including now).
    public func startScraping(every interval: Duration = .seconds(15), keep: Set<String>? = nil) {
        sampler = MetricsSampler(interval: interval, keep: keep)
        queue.push(at: now, .scrape)
    }

    /// Handles every event due up to and including `deadline`, then leaves the clock at `deadline`.
    public func run(until deadline: Instant) {
        while let next = queue.nextTime, next <= deadline.nanoseconds, let entry = queue.pop() {
            now = Instant(nanoseconds: entry.time)
            eventsProcessed += 1
            handle(entry.payload)
        }
        if deadline > now { now = deadline }
    }

    /// Runs for `duration` of virtual time.
    public func run(for duration: Duration) {
        run(until: now + duration)
    }

    // MARK: Event handling

    private func handle(_ event: Event) {
        switch event {
        case .datagram(let to, let from, let bytes):
            let index = Int(to)
            guard slots[index].state == .running else {
                recorder.datagramsToDownNode += 1
                return
            }
            guard topology.canReach(from: Int(from), to: index) else {
                recorder.datagramsCut += 1
                return
            }
            if deferIfSlow(index, event) { return }
            deliverDatagram(index, from: from, bytes: bytes)
        case .streamOpen(let to, let from, let token, let bytes, let expectsReply, let openerLife):
            let index = Int(to)
            guard slots[index].state == .running, topology.canReach(from: Int(from), to: index) else {
                // A process that went down refuses; a cut path leaves the stream to its deadline.
                if slots[index].state != .running {
                    failStream(opener: from, to: to, token: token, life: openerLife, after: latency(Int(from), index), refused: true)
                }
                return
            }
            if deferIfSlow(index, event) { return }
            deliverStream(index, from: from, token: token, bytes: bytes, expectsReply: expectsReply, openerLife: openerLife)
        case .streamReply(let opener, let from, let token, let bytes, let openerLife):
            let index = Int(opener)
            let key = PendingStream(opener: opener, token: token, life: openerLife)
            guard pendingStreams.contains(key), slots[index].life == openerLife, slots[index].state == .running else { return }
            guard topology.canReach(from: Int(from), to: index) else { return }  // the deadline fails it
            pendingStreams.remove(key)
            io.clear()
            nodeStore[index]!.receiveStreamReply(bytes, token: token, from: NodeID(Int(from)), now: now, io: &io)
            afterCall(index)
        case .streamFail(let opener, let to, let token, let openerLife, let refused):
            let index = Int(opener)
            // Every open stream is pending until it succeeds or fails, and fails at most once.
            let key = PendingStream(opener: opener, token: token, life: openerLife)
            guard pendingStreams.remove(key) != nil else { return }
            guard slots[index].life == openerLife, slots[index].state == .running else { return }
            recorder.streamsFailed += 1
            io.clear()
            nodeStore[index]!.streamFailed(token: token, to: NodeID(Int(to)), reason: refused ? .refused : .timedOut, now: now, io: &io)
            afterCall(index)
        case .timer(let node, let life):
            let index = Int(node)
            guard slots[index].life == life, slots[index].state == .running, slots[index].armed == now.nanoseconds else { return }
            slots[index].armed = nil
            guard let deadline = deadline(of: index), deadline <= now else {
                rearm(index, justFired: false)
                return
            }
            io.clear()
            nodeStore[index]!.handleTimeout(now: now, io: &io)
            drain(index)
            rearm(index, justFired: true)
        case .deferred(let node, let life, let inner):
            let index = Int(node)
            guard slots[index].life == life, slots[index].state == .running else { return }
            switch inner {
            case .datagram(_, let from, let bytes):
                deliverDatagram(index, from: from, bytes: bytes)
            case .streamOpen(_, let from, let token, let bytes, let expectsReply, let openerLife):
                deliverStream(index, from: from, token: token, bytes: bytes, expectsReply: expectsReply, openerLife: openerLife)
            default:
                break
            }
        case .stop(let node, let life):
            let index = Int(node)
            guard slots[index].life == life, slots[index].state == .running else { return }
            halt(index, as: .left)
        case .action(let id):
            guard let action = actions.removeValue(forKey: id) else { return }
            action(self)
        case .scrape:
            guard sampler != nil else { return }
            var targets: [(NodeID, (any SimulatedMetrics)?)] = []
            targets.reserveCapacity(slots.count)
            for index in slots.indices where slots[index].state != .left {
                targets.append((NodeID(index), slots[index].state == .running ? slots[index].registry : nil))
            }
            sampler!.scrape(now: now, targets: targets)
            queue.push(at: now + sampler!.interval, .scrape)
        }
    }

    /// A slow node handles inputs one after another, each taking its processing delay.
    private func deferIfSlow(_ index: Int, _ event: Event) -> Bool {
        let delay = slots[index].processingDelay
        guard delay > 0 else { return false }
        let start = max(now.nanoseconds, slots[index].busyUntil)
        slots[index].busyUntil = start + delay
        queue.push(at: Instant(nanoseconds: start + delay), .deferred(node: Int32(index), life: slots[index].life, event))
        return true
    }

    private func deliverDatagram(_ index: Int, from: Int32, bytes: [UInt8]) {
        io.clear()
        nodeStore[index]!.receiveDatagram(bytes, from: NodeID(Int(from)), now: now, io: &io)
        afterCall(index)
    }

    private func deliverStream(_ index: Int, from: Int32, token: UInt64, bytes: [UInt8], expectsReply: Bool, openerLife: UInt32) {
        io.clear()
        let stream = StreamHandle(opener: NodeID(Int(from)), token: token)
        nodeStore[index]!.receiveStream(bytes, stream: stream, now: now, io: &io)
        if !expectsReply {
            // A one-way stream has done its job once the far end has read it: the opener hears an empty
            // reply, as the libuv driver reports once the peer has read and closed.
            io.reply(to: stream, bytes: [])
        }
        afterCall(index)
    }

    /// Counter totals of node lives that ended (crash, stop), so cluster-wide totals survive restarts.
    public private(set) var retiredTotals: [String: Double] = [:]

    /// The sum of every series named `name` over every node life, running or ended.
    public func clusterTotal(_ name: String) -> Double {
        var sum = retiredTotals[name] ?? 0
        for slot in slots { sum += slot.registry?.total(name) ?? 0 }
        return sum
    }

    private func halt(_ index: Int, as state: NodeState) {
        if let registry = slots[index].registry {
            registry.addCounterTotals(into: &retiredTotals)
        }
        nodeStore[index] = nil
        slots[index].registry = nil
        slots[index].state = state
        slots[index].life &+= 1
        slots[index].armed = nil
        slots[index].busyUntil = 0
    }

    private func afterCall(_ index: Int) {
        drain(index)
        rearm(index, justFired: false)
    }

    /// The node's next deadline, read in place: reading `nodeStore[index]?.nextDeadline` as a value
    /// copies the whole node (retaining every buffer of every core) on each of the millions of re-arms of
    /// a large run; a mutating access projects the stored node instead.
    @inline(__always)
    private func deadline(of index: Int) -> Instant? {
        nodeStore[index]?.deadlineInPlace()
    }

    private func rearm(_ index: Int, justFired: Bool) {
        guard slots[index].state == .running, let deadline = deadline(of: index) else {
            slots[index].armed = nil
            return
        }
        // A core whose deadline is still due right after handling it would spin at one instant; give
        // it a microsecond so virtual time always moves on.
        let floor = justFired ? now.nanoseconds + 1_000 : now.nanoseconds
        let at = max(deadline.nanoseconds, floor)
        if slots[index].armed == at { return }
        if let armed = slots[index].armed, armed <= at, armed >= now.nanoseconds { return }
        slots[index].armed = at
        queue.push(at: Instant(nanoseconds: at), .timer(node: Int32(index), life: slots[index].life))
    }

    /// Sends what the node asked for and records its observations.
    private func drain(_ index: Int) {
        guard !io.isEmpty else { return }
        let from = NodeID(index)
        let life = slots[index].life
        for observation in io.observations {
            if case .memberState(let member, let state) = observation, state != .alive, member.index < slots.count {
                // Judged now, while the engine still knows whether the member was really gone.
                let genuine = slots[member.index].state != .running || !topology.canReach(from: index, to: member.index)
                    || !topology.canReach(from: member.index, to: index)
                recorder.recordState(member: member, state: state, observer: from, genuine: genuine, now: now)
                continue
            }
            recorder.record(observation, node: from, incarnation: Int(life), now: now)
        }
        for datagram in io.datagrams {
            sendDatagram(from: index, to: datagram.to.index, bytes: datagram.bytes)
        }
        for stream in io.streams {
            openStream(from: index, request: stream, life: life)
        }
        for reply in io.replies {
            let opener = reply.stream.opener.index
            recorder.streamBytes += reply.bytes.count
            guard opener < slots.count, topology.canReach(from: index, to: opener) else { continue }
            let openerLife = slots[opener].life
            queue.push(
                at: now + latency(index, opener) + retransmissions(from: index, to: opener, firstTimeout: Self.dataRetransmit),
                .streamReply(opener: Int32(opener), from: Int32(index), token: reply.stream.token, bytes: reply.bytes, openerLife: openerLife))
        }
        let handed = io.applicationDeliveries
        io.clear()
        // Last, with the engine's state settled: the handler may call back into the simulation.
        if let handler = onApplicationDelivery {
            for delivery in handed { handler(from, delivery) }
        }
    }

    private func sendDatagram(from: Int, to: Int, bytes: [UInt8]) {
        recorder.datagramsSent += 1
        recorder.datagramBytes += bytes.count
        guard to < slots.count else {
            recorder.datagramsToDownNode += 1
            return
        }
        guard topology.canReach(from: from, to: to) else {
            recorder.datagramsCut += 1
            return
        }
        let conditions = self.conditions(from, to)
        if let limit = conditions.maxDatagramBytes, bytes.count > limit {
            recorder.datagramsLost += 1
            return
        }
        if conditions.loss > 0, slots[from].egress.unit() < conditions.loss {
            recorder.datagramsLost += 1
            return
        }
        queue.push(at: now + delay(from, conditions), .datagram(to: Int32(to), from: Int32(from), bytes: bytes))
        if conditions.duplication > 0, slots[from].egress.unit() < conditions.duplication {
            recorder.datagramsDuplicated += 1
            queue.push(at: now + delay(from, conditions), .datagram(to: Int32(to), from: Int32(from), bytes: bytes))
        }
    }

    private func openStream(from: Int, request: NodeIO.StreamRequest, life: UInt32) {
        recorder.streamsOpened += 1
        recorder.streamBytes += request.bytes.count
        let to = request.to.index
        let timeout = request.timeout ?? streamTimeout
        pendingStreams.insert(PendingStream(opener: Int32(from), token: request.token, life: life))
        guard to < slots.count, topology.canReach(from: from, to: to) else {
            // A connection into a cut network hangs until its timeout.
            failStream(opener: Int32(from), to: Int32(to), token: request.token, life: life, after: timeout, refused: false)
            return
        }
        guard slots[to].state == .running else {
            // A host whose process is down refuses the connection after a round trip.
            failStream(opener: Int32(from), to: Int32(to), token: request.token, life: life, after: latency(from, to) * 2, refused: true)
            return
        }
        // The handshake's SYN and SYN-ACK, then the request, each retransmitted as often as the link drops it.
        let retransmitted = retransmissions(from: from, to: to, firstTimeout: Self.handshakeRetransmit)
            + retransmissions(from: to, to: from, firstTimeout: Self.handshakeRetransmit)
            + retransmissions(from: from, to: to, firstTimeout: Self.dataRetransmit)
        queue.push(
            at: now + latency(from, to) + retransmitted,
            .streamOpen(to: Int32(to), from: Int32(from), token: request.token, bytes: request.bytes, expectsReply: request.expectsReply, openerLife: life))
        queue.push(at: now + timeout, .streamFail(opener: Int32(from), to: Int32(to), token: request.token, openerLife: life, refused: false))
    }

    private func failStream(opener: Int32, to: Int32, token: UInt64, life: UInt32, after: Duration, refused: Bool) {
        queue.push(at: now + after, .streamFail(opener: opener, to: to, token: token, openerLife: life, refused: refused))
    }

    // MARK: Links

    private func conditions(_ from: Int, _ to: Int) -> LinkConditions {
        if linkOverrides.isEmpty && nodeOverrides.isEmpty { return defaultConditions }
        if let link = linkOverrides[Self.linkKey(from, to)] { return link }
        if let node = nodeOverrides[from] { return node }
        if let node = nodeOverrides[to] { return node }
        return defaultConditions
    }

    private func delay(_ from: Int, _ conditions: LinkConditions) -> Duration {
        var delay = conditions.latency
        if conditions.jitter > .zero {
            delay += conditions.jitter.scaled(by: slots[from].egress.unit())
        }
        if conditions.reordering > 0, slots[from].egress.unit() < conditions.reordering {
            delay += conditions.reorderDelay
        }
        return delay
    }

    /// Linux's first SYN (and SYN-ACK) retransmission timeout, and its floor for data segments (`TCP_RTO_MIN`).
    static var handshakeRetransmit: Duration { .seconds(1) }
    static var dataRetransmit: Duration { .milliseconds(200) }

    /// How long TCP takes to get one segment across a link that drops `loss` of its packets: every loss costs a
    /// retransmission timeout, doubled after each (capped at six tries, past which the stream's own timeout
    /// has long fired). Streams are reliable but not immune to loss: a real TCP fallback probe or push/pull
    /// over a lossy path arrives seconds late, and the lab measured what a simulator that ignored this hid.
    /// No draw is made on a lossless link, so runs without loss are unchanged.
    private func retransmissions(from: Int, to: Int, firstTimeout: Duration) -> Duration {
        let loss = conditions(from, to).loss
        guard loss > 0 else { return .zero }
        var total = Duration.zero, timeout = firstTimeout
        for _ in 0..<6 {
            guard slots[from].egress.unit() < loss else { break }
            total += timeout
            timeout *= 2
        }
        return total
    }

    /// A stream's one-way latency: the link's base latency plus half its jitter (no random draw, so a
    /// stream's timing does not shift the datagram draws of its sender).
    private func latency(_ from: Int, _ to: Int) -> Duration {
        let conditions = self.conditions(from, to)
        return conditions.latency + conditions.jitter / 2
    }

    private static func linkKey(_ from: Int, _ to: Int) -> UInt64 { UInt64(from) << 32 | UInt64(to) }

    /// A 64-bit mix of three values (SplitMix64's finaliser), for per-node and per-life seeds.
    static func mix(_ a: UInt64, _ b: UInt64, _ c: UInt64) -> UInt64 {
        var z = a &+ 0x9E37_79B9_7F4A_7C15 &* (b &+ 1) &+ 0xBF58_476D_1CE4_E5B9 &* (c &+ 1)
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension SimulatedNode {
    /// `nextDeadline`, called through a mutating access so that the caller's storage is not copied.
    @inline(__always)
    fileprivate mutating func deadlineInPlace() -> Instant? { nextDeadline }
}

extension SeededRandom {
    /// A uniform draw in [0, 1).
    @inline(__always)
    mutating func unit() -> Double { Double(next() >> 11) * 0x1p-53 }
}
