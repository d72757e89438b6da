import Foundation
import GossipNode
import GossipObservability
import Logging
import ProtocolSupport
import Testing

/// Real nodes on loopback, and what they write to their log: the key events of docs/MONITORING.md, each
/// under its component, at the level the component allows.
@Suite struct NodeLogTests {
    /// One JSON log line.
    struct Line {
        var level: String
        var component: String
        var message: String
        var metadata: [String: String]
    }

    static func lines(_ sink: MemoryLogSink) -> [Line] {
        sink.lines.compactMap { text in
            guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else { return nil }
            return Line(level: object["level"] as? String ?? "", component: object["component"] as? String ?? "",
                        message: object["message"] as? String ?? "",
                        metadata: (object["metadata"] as? [String: Any] ?? [:]).compactMapValues { $0 as? String })
        }
    }

    static func node(_ name: String, seeds: [SocketAddress] = [], _ change: (inout GossipNodeConfiguration) -> Void = { _ in })
        async throws -> GossipNode
    {
        var configuration = GossipNodeConfiguration(name: name, bind: SocketAddress(ipv4: 127, 0, 0, 1, port: 0), profile: .local)
        configuration.logLevel = .critical
        configuration.minimumPeers = 1
        configuration.seeds = seeds.map(Seed.address)
        change(&configuration)
        let node = try await GossipNode(configuration: configuration)
        try await node.start()
        return node
    }

    @Test("a node logs joins, leaves, failures, a suspected partition and its configuration, each once, under protocol")
    func membershipEvents() async throws {
        let sink = MemoryLogSink()
        let observer = try await Self.node("logs-observer") {
            $0.logFormat = .json
            $0.logSink = sink
            $0.logLevel = nil
            $0.logLevels = [.protocol: .info, .network: .critical, .metrics: .critical]
        }
        let seed = try await observer.boundAddress
        var others: [GossipNode] = []
        for index in 1...4 { others.append(try await Self.node("logs-\(index)", seeds: [seed])) }
        let joined = await eventually(timeout: .seconds(15)) {
            Set(Self.lines(sink).filter { $0.message == "peer joined" }.compactMap { $0.metadata["member"] }).count == 4
        }
        #expect(joined, "the observer logged 'peer joined' for the 4 others within 15 s")

        // One leaves on purpose, then two of the three that remain vanish at once: two of three failing within
        // a suspicion timeout is a suspected partition.
        try await others[0].leave()
        await others[0].shutdown()
        // The leave may reach the observer through the others' gossip: they stay up until it has.
        let leftSeen = await eventually(timeout: .seconds(15)) {
            Self.lines(sink).contains { $0.message == "peer left" && $0.metadata["member"] == "logs-1" }
        }
        #expect(leftSeen, "the observer logged 'peer left' for logs-1 within 15 s of its leave")
        await others[1].shutdown()
        await others[2].shutdown()
        let partitioned = await eventually(timeout: .seconds(30)) {
            Self.lines(sink).contains { $0.message == "partition suspected" }
        }
        #expect(partitioned, "the observer logged 'partition suspected' within 30 s of two of three members vanishing")

        let lines = Self.lines(sink)
        let left = lines.filter { $0.message == "peer left" }
        #expect(left.map { $0.metadata["member"] } == ["logs-1"])
        #expect(left.allSatisfy { $0.level == "info" && $0.component == "protocol" })
        let failed = lines.filter { $0.message == "peer failed" }
        #expect(Set(failed.compactMap { $0.metadata["member"] }) == ["logs-2", "logs-3"])
        #expect(failed.allSatisfy { $0.level == "warning" })
        let partition = lines.filter { $0.message == "partition suspected" }
        #expect(partition.count == 1, "one partition, one line")
        #expect(partition.first?.level == "error")
        #expect(partition.first?.metadata["failed"] == "2")
        let counted = try #require(observer.metrics).snapshot().families
            .first { $0.name == "gossip_node_partitions_suspected_total" }?.series.first?.value
        #expect(counted == 1, "counted once as well")
        let started = lines.filter { $0.message == "configuration changed" && $0.metadata["setting"] == "start" }
        #expect(started.count == 1)
        #expect(started.first?.metadata["log_levels"]?.contains("protocol=info") == true)
        #expect(lines.allSatisfy { $0.metadata["node"] == "logs-observer" })
        #expect(!lines.contains { $0.component == "network" || $0.component == "metrics" },
                "components turned down to critical say nothing")

        await others[3].shutdown()
        await observer.shutdown()
    }

    @Test("cache evictions and tag changes are logged at their levels; protocol=debug lets the evictions through")
    func cacheAndConfiguration() async throws {
        let quiet = MemoryLogSink(), verbose = MemoryLogSink()
        func configure(_ sink: MemoryLogSink, _ level: Logger.Level) -> (inout GossipNodeConfiguration) -> Void {
            { c in
                c.logFormat = .json
                c.logSink = sink
                c.logLevel = nil
                c.logLevels = [.protocol: level]
                c.plumtree.messageCacheMaxSize = 2
            }
        }
        let nodes = [try await Self.node("evict-verbose", configure(verbose, .debug)),
                     try await Self.node("evict-quiet", configure(quiet, .info))]
        for node in nodes {
            for index in 0..<5 { _ = try await node.broadcast(Array("e\(index)".utf8)) }
        }
        // The health tick reports the evictions since the last tick once a second, so a tick that falls
        // between two broadcasts splits the three evictions over two lines.
        func evicted() -> Int {
            Self.lines(verbose).filter { $0.message == "cache eviction" }
                .compactMap { $0.metadata["evicted"].flatMap(Int.init) }.reduce(0, +)
        }
        let logged = await eventually(timeout: .seconds(10)) { evicted() >= 3 }
        #expect(logged, "3 evictions logged within 10 s (the health tick reports them once a second); logged \(evicted())")
        let evictions = Self.lines(verbose).filter { $0.message == "cache eviction" }
        #expect(evicted() == 3)
        #expect(evictions.allSatisfy { $0.level == "debug" && $0.metadata["capacity"] == "2" })
        #expect(!Self.lines(quiet).contains { $0.message == "cache eviction" }, "debug lines stay out at protocol=info")

        try await nodes[1].updateTags(["role": "api"])
        let tagged = await eventually(timeout: .seconds(5)) {
            Self.lines(quiet).contains { $0.message == "configuration changed" && $0.metadata["setting"] == "tags" }
        }
        #expect(tagged, "'configuration changed' logged for the tags within 5 s")
        #expect(Self.lines(quiet).first { $0.metadata["setting"] == "tags" }?.metadata["tags"] == "role=api")
        for node in nodes { await node.shutdown() }
    }
}
