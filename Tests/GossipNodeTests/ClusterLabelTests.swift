import Foundation
import GossipNode
import GossipObservability
import Logging
import ProtocolSupport
import Testing

/// The cluster label on real nodes over loopback: clusters with different labels stay apart though one is
/// pointed at the other, the same label joins (encrypted too), and skipping the inbound check takes
/// unlabelled traffic in while sending labelled. Every wait is bounded.
@Suite struct ClusterLabelTests {
    static func node(_ name: String, label: String, skip: Bool = false, key: [UInt8]? = nil, seeds: [SocketAddress] = [],
                     sink: MemoryLogSink? = nil) async throws -> GossipNode {
        var configuration = GossipNodeConfiguration(name: name, bind: SocketAddress(ipv4: 127, 0, 0, 1, port: 0), profile: .local)
        configuration.logLevel = .critical
        configuration.membership.label = label
        configuration.membership.skipInboundLabelCheck = skip
        configuration.seeds = seeds.map(Seed.address)
        if let key { configuration.encryptionKeys = [key] }
        if let sink {
            configuration.logFormat = .json
            configuration.logSink = sink
            configuration.logLevel = nil
            configuration.logLevels = [.protocol: .critical, .network: .warning, .metrics: .critical, .admin: .critical]
        }
        let node = try await GossipNode(configuration: configuration)
        try await node.start()
        return node
    }

    static func mismatches(_ node: GossipNode) -> Double {
        node.metrics?.snapshot().value("memberlist_packets_dropped_total", ["reason": "label_mismatch"]) ?? 0
    }

    static func names(_ node: GossipNode) async -> Set<String> {
        Set(((try? await node.members()) ?? []).filter { $0.state == .alive }.map(\.name))
    }

    static func knowEachOther(_ one: GossipNode, _ other: GossipNode, _ names: Set<String>) async -> Bool {
        let first = await Self.names(one)
        let second = await Self.names(other)
        return first == names && second == names
    }

    /// The `label mismatch` log lines in a JSON log.
    static func mismatchLines(_ sink: MemoryLogSink) -> [[String: String]] {
        sink.lines.compactMap { text in
            guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
                  object["message"] as? String == KeyLogEvent.labelMismatch.rawValue else { return nil }
            return (object["metadata"] as? [String: Any] ?? [:]).compactMapValues { $0 as? String }
        }
    }

    @Test("a node labelled b cannot join a cluster labelled a: refused, counted, logged once, nobody lists the other")
    func differentLabelsStayApart() async throws {
        let sink = MemoryLogSink()
        let a1 = try await Self.node("label-a1", label: "a", sink: sink)
        let seed = try await a1.boundAddress
        let a2 = try await Self.node("label-a2", label: "a", seeds: [seed])
        let b = try await Self.node("label-b", label: "b")
        defer { Task { for node in [a1, a2, b] { await node.shutdown() } } }

        #expect(await eventually(timeout: .seconds(15)) { await Self.names(a1) == ["label-a1", "label-a2"] },
                "the two nodes labelled a see each other")
        for attempt in 1...2 {
            await #expect(throws: GossipNodeError.self, "join attempt \(attempt)") { try await b.join([seed]) }
        }
        #expect(await eventually(timeout: .seconds(10)) { Self.mismatches(a1) >= 2 }, "both refused streams are counted")
        // Time for anything that slipped through to show.
        try await Task.sleep(for: .seconds(2))
        #expect(await Self.names(b) == ["label-b"])
        #expect(await Self.names(a1) == ["label-a1", "label-a2"])
        #expect(await Self.names(a2) == ["label-a1", "label-a2"])
        let lines = Self.mismatchLines(sink)
        #expect(lines.count == 1, "one line for label b, however many of its streams arrive: \(lines)")
        #expect(lines.first?["remote_label"] == "\"b\"")
        #expect(lines.first?["local_label"] == "\"a\"")
    }

    @Test("two nodes with the same label, encrypted, join and see each other")
    func sameLabelJoins() async throws {
        let key = [UInt8](repeating: 0x5A, count: 32)
        let first = try await Self.node("same-1", label: "prod-eu", key: key)
        let second = try await Self.node("same-2", label: "prod-eu", key: key)
        defer { Task { for node in [first, second] { await node.shutdown() } } }
        #expect(try await second.join([try await first.boundAddress]) == 1)
        let both: Set<String> = ["same-1", "same-2"]
        #expect(await eventually(timeout: .seconds(15)) { await Self.knowEachOther(first, second, both) })
        #expect(Self.mismatches(first) == 0 && Self.mismatches(second) == 0)
    }

    @Test("skipping the inbound check accepts an unlabelled node's join while its own packets stay labelled")
    func skipAcceptsUnlabelled() async throws {
        let skipping = try await Self.node("skip-1", label: "a", skip: true)
        let plain = try await Self.node("plain-1", label: "")
        defer { Task { for node in [skipping, plain] { await node.shutdown() } } }
        #expect(try await plain.join([try await skipping.boundAddress]) == 1)
        let both: Set<String> = ["plain-1", "skip-1"]
        #expect(await eventually(timeout: .seconds(5)) { await Self.knowEachOther(skipping, plain, both) })
        // The skipping node's probes carry its label: the unlabelled node refuses them.
        #expect(await eventually(timeout: .seconds(10)) { Self.mismatches(plain) >= 1 })
        #expect(Self.mismatches(skipping) == 0)
    }

    @Test func labelSettingsFromFlagsEnvironmentAndYAML() throws {
        let name: (key: String, value: RawSetting) = ("name", .scalar("n"))
        let defaults = try GossipNodeConfiguration.load(file: nil, environment: [:], flags: [name])
        #expect(defaults.membership.label == "" && !defaults.membership.skipInboundLabelCheck)

        let file = FileManager.default.temporaryDirectory.appendingPathComponent("label-\(UUID().uuidString).yaml")
        try "label: from-file\nlabel_skip_inbound_check: true\n".write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let fromFile = try GossipNodeConfiguration.load(file: file.path, environment: [:], flags: [name])
        #expect(fromFile.membership.label == "from-file" && fromFile.membership.skipInboundLabelCheck)
        let fromEnv = try GossipNodeConfiguration.load(file: file.path, environment: ["GOSSIP_LABEL": "from-env"], flags: [name])
        #expect(fromEnv.membership.label == "from-env")
        let fromFlag = try GossipNodeConfiguration.load(
            file: file.path, environment: ["GOSSIP_LABEL": "from-env"],
            flags: [name, ("label", .scalar("from-flag")), ("label_skip_inbound_check", .scalar("false"))])
        #expect(fromFlag.membership.label == "from-flag" && !fromFlag.membership.skipInboundLabelCheck)

        for bad in [String(repeating: "x", count: 256), String(repeating: "ü", count: 128), "tab\there"] {
            #expect(throws: ConfigurationError.self, "\(bad.utf8.count) bytes") {
                try GossipNodeConfiguration.load(file: nil, environment: [:], flags: [name, ("label", .scalar(bad))])
            }
            do {
                _ = try GossipNodeConfiguration.load(file: nil, environment: [:], flags: [name, ("label", .scalar(bad))])
            } catch {
                guard case .invalidValue(let key, _, _, let source) = error else {
                    Issue.record("expected invalidValue, got \(error)")
                    continue
                }
                #expect(key == "label" && source == .flag)
            }
        }
        let longest = String(repeating: "x", count: 255)
        #expect(try GossipNodeConfiguration.load(file: nil, environment: [:], flags: [name, ("label", .scalar(longest))])
            .membership.label == longest)
    }

    @Test func settingsReferenceListsBoth() {
        let rows = Dictionary(uniqueKeysWithValues: SettingsReference.rows.map { ($0.key, $0) })
        #expect(rows["label"]?.environmentVariable == "GOSSIP_LABEL")
        #expect(rows["label"]?.defaults == ["none", "none", "none"])
        #expect(rows["label_skip_inbound_check"]?.defaults == ["false", "false", "false"])
        #expect(SettingsReference.text.contains("label_skip_inbound_check  (GOSSIP_LABEL_SKIP_INBOUND_CHECK)"))
    }

    @Test func aLabelTooLongIsRefusedWhenTheNodeIsBuilt() async {
        var configuration = GossipNodeConfiguration(name: "long", bind: SocketAddress(ipv4: 127, 0, 0, 1, port: 0), profile: .local)
        configuration.logLevel = .critical
        configuration.membership.label = String(repeating: "x", count: 300)
        await #expect(throws: GossipNodeError.self) {
            let node = try await GossipNode(configuration: configuration)
            defer { Task { await node.shutdown() } }
            try await node.start()
        }
    }
}
