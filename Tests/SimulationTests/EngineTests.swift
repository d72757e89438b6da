import ProtocolSupport
import Testing

@testable import GossipSimulator

@Suite("Simulation engine")
struct EngineTests {
    @Test("events at the same instant run in the order they were scheduled")
    func tiesRunInScheduleOrder() {
        var queue = EventQueue<Int>()
        for i in 0..<100 { queue.push(at: Instant(nanoseconds: UInt64(i % 3)), i) }
        var popped: [(UInt64, Int)] = []
        while let entry = queue.pop() { popped.append((entry.time, entry.payload)) }
        #expect(popped.map(\.0) == popped.map(\.0).sorted())
        for time in 0..<3 {
            let same = popped.filter { $0.0 == UInt64(time) }.map(\.1)
            #expect(same == same.sorted())
            #expect(same.count > 30)
        }
    }

    @Test("actions run at their virtual time and the clock ends at the deadline")
    func actionsRunAtTheirTime() {
        let sim = Simulation(seed: 1) { FloodNode($0) }
        var seen: [Instant] = []
        sim.schedule(at: Instant.zero + .seconds(3)) { seen.append($0.now) }
        sim.schedule(at: Instant.zero + .seconds(1)) { seen.append($0.now) }
        sim.run(for: .seconds(5))
        #expect(seen == [Instant.zero + .seconds(1), Instant.zero + .seconds(3)])
        #expect(sim.now == Instant.zero + .seconds(5))
    }

    static func floodRun(seed: UInt64, loss: Double = 0) -> Simulation<FloodNode> {
        let sim = Simulation(seed: seed, conditions: LinkConditions(latency: .milliseconds(2), jitter: .milliseconds(3), loss: loss, duplication: 0.01, reordering: 0.05)) {
            FloodNode($0, fanout: 4)
        }
        sim.addNodes(40)
        sim.startScraping(every: .seconds(1))
        for message in 0..<20 {
            sim.schedule(at: Instant.zero + .milliseconds(100 * message)) { sim in
                sim.perform(on: NodeID(message % 40)) { node, _, io in node.broadcast(UInt64(message), io: &io) }
            }
        }
        sim.run(for: .seconds(5))
        return sim
    }

    @Test("the same seed gives the same run, event for event")
    func determinism() {
        let a = Self.floodRun(seed: 42), b = Self.floodRun(seed: 42), c = Self.floodRun(seed: 43)
        func trace(_ sim: Simulation<FloodNode>) -> [String] {
            sim.allNodes.flatMap { id in sim.node(id)!.received.map { "\(id.index)<\($0.from.index):\($0.message)@\($0.at.nanoseconds)" } }
        }
        #expect(trace(a) == trace(b))
        #expect(trace(a) != trace(c))
        #expect(a.eventsProcessed == b.eventsProcessed)
        #expect(a.recorder.datagramsDuplicated == b.recorder.datagramsDuplicated)
        #expect(a.sampler!.clusterSum("flood_duplicate_total") == b.sampler!.clusterSum("flood_duplicate_total"))
    }

    @Test("loss drops the configured share of datagrams")
    func lossRate() {
        let sim = Self.floodRun(seed: 7, loss: 0.2)
        let sent = Double(sim.recorder.datagramsSent)
        let lost = Double(sim.recorder.datagramsLost)
        #expect(sent > 2_000)
        #expect(abs(lost / sent - 0.2) < 0.03, "lost \(lost) of \(sent)")
    }

    @Test("no datagram crosses a partition; healing restores delivery")
    func partitionsCutTraffic() {
        let sim = Simulation(seed: 3) { FloodNode($0, fanout: 6) }
        sim.addNodes(20)
        let left = sim.nodes(0..<10), right = sim.nodes(10..<20)
        sim.partition([left, right])
        sim.perform(on: NodeID(0)) { node, _, io in node.broadcast(1, io: &io) }
        sim.run(for: .seconds(2))
        #expect(sim.recorder.datagramsCut > 0)
        for id in right { #expect(!sim.recorder.delivered(1, at: id)) }
        #expect(left.dropFirst().contains { sim.recorder.delivered(1, at: $0) })
        sim.heal()
        sim.perform(on: NodeID(0)) { node, _, io in node.broadcast(2, io: &io) }
        sim.run(for: .seconds(2))
        #expect(right.contains { sim.recorder.delivered(2, at: $0) })
    }

    @Test("a one-way partition cuts one direction only")
    func oneWayPartition() {
        let sim = Simulation(seed: 4) { FloodNode($0, fanout: 1) }
        sim.addNodes(2)
        sim.partition([[NodeID(0)], [NodeID(1)]], oneWay: true)
        #expect(!sim.canReach(from: NodeID(0), to: NodeID(1)))
        #expect(sim.canReach(from: NodeID(1), to: NodeID(0)))
        sim.perform(on: NodeID(1)) { node, _, io in node.broadcast(9, io: &io) }
        sim.run(for: .seconds(1))
        #expect(sim.recorder.delivered(9, at: NodeID(0)))
        sim.perform(on: NodeID(0)) { node, _, io in node.broadcast(10, io: &io) }
        sim.run(for: .seconds(1))
        #expect(!sim.recorder.delivered(10, at: NodeID(1)))
    }

    @Test("a crashed node hears nothing and scrapes as down; a restart is a fresh process")
    func crashAndRestart() throws {
        let sim = Simulation(seed: 5) { FloodNode($0, fanout: 5) }
        sim.addNodes(6)
        sim.startScraping(every: .seconds(1))
        sim.run(for: .milliseconds(1500))
        sim.crash(NodeID(2))
        sim.perform(on: NodeID(0)) { node, _, io in node.broadcast(1, io: &io) }
        sim.run(for: .seconds(3))
        #expect(sim.node(NodeID(2)) == nil)
        #expect(sim.perform(on: NodeID(2)) { _, _, _ in 1 } == nil)
        #expect(!sim.recorder.delivered(1, at: NodeID(2)))
        let up = try #require(sim.sampler?.series(NodeID(2), "up"))
        #expect(up.first == 1 && up.last == 0)
        sim.restart(NodeID(2))
        #expect(sim.restarts(of: NodeID(2)) == 1)
        #expect(sim.metrics(of: NodeID(2))?.total("flood_delivered_total") == 0)
        sim.run(for: .seconds(2))
        #expect(sim.sampler?.series(NodeID(2), "up")?.last == 1)
    }

    @Test("a slow node handles its inputs one after another")
    func slowNode() throws {
        let sim = Simulation(seed: 6, conditions: LinkConditions(latency: .milliseconds(1), jitter: .zero)) { FloodNode($0, fanout: 1) }
        sim.addNodes(2)
        sim.setSlow(NodeID(1), delay: .milliseconds(100))
        for message in 0..<5 {
            sim.perform(on: NodeID(0)) { node, _, io in
                node.seen.insert(UInt64(message))
                io.send(FloodNode.encode(UInt64(message), hops: 1), to: NodeID(1))
            }
        }
        sim.run(for: .seconds(2))
        let arrivals = try #require(sim.node(NodeID(1))).received.map { $0.at.nanoseconds / 1_000_000 }
        #expect(arrivals == [101, 201, 301, 401, 501])
    }

    @Test("streams deliver replies, and fail across a partition or to a crashed node")
    func streams() throws {
        let sim = Simulation(seed: 8) { FloodNode($0) }
        sim.addNodes(3)
        sim.perform(on: NodeID(0)) { node, _, io in node.ping(NodeID(1), io: &io) }
        sim.run(for: .seconds(1))
        #expect(sim.node(NodeID(0))?.replies == 1)
        sim.isolate(NodeID(1))
        sim.perform(on: NodeID(0)) { node, _, io in node.ping(NodeID(1), io: &io) }
        sim.run(for: .seconds(5))
        #expect(sim.node(NodeID(0))?.failures == 0, "a cut connection hangs until its timeout")
        sim.run(for: .seconds(6))
        #expect(sim.node(NodeID(0))?.failures == 1)
        sim.heal()
        sim.crash(NodeID(2))
        sim.perform(on: NodeID(0)) { node, _, io in node.ping(NodeID(2), io: &io) }
        sim.run(for: .milliseconds(100))
        #expect(sim.node(NodeID(0))?.failures == 2, "a down process refuses at once")
        #expect(sim.node(NodeID(0))?.replies == 1)
    }
}
