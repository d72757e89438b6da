import Foundation
import ProtocolSupport
import Testing
@testable import GossipNode

/// The loader's precedence and refusals, on a small configuration of its own so that the rules are tested
/// apart from the node's settings table.
private struct Sample: Equatable {
    var profile = "lan"
    var interval: Duration = .seconds(1)
    var fanout = 3
    var join: [SocketAddress] = []
    var tags: [String: String] = [:]
}

private let schema = SettingsSchema<Sample>([
    .scalar("profile", help: "timing profile") { root, text, source throws(ConfigurationError) in
        root.profile = try ValueParsers.choice(text, key: "profile", among: ["lan", "wan"], source: source)
    },
    .scalar("membership.probe_interval", help: "probe interval") { root, text, source throws(ConfigurationError) in
        root.interval = try ValueParsers.duration(text, key: "membership.probe_interval", range: .milliseconds(1) ... .seconds(3600), source: source)
    },
    .scalar("plumtree.eager_fanout", help: "eager fanout") { root, text, source throws(ConfigurationError) in
        root.fanout = try ValueParsers.integer(text, key: "plumtree.eager_fanout", range: 1...64, source: source)
    },
    Setting("join", shape: .list, help: "seeds") { root, raw, source throws(ConfigurationError) in
        root.join = []
        for item in raw.asList { root.join.append(try ValueParsers.address(item, key: "join", source: source)) }
    },
    Setting("tags", shape: .map, help: "tags") { root, raw, source throws(ConfigurationError) in
        for (k, v) in try raw.asPairs(key: "tags", source: source) { root.tags[k] = v }
    },
])

private let loader = ConfigurationLoader(schema: schema, profileKey: "profile", defaultProfile: "lan") { name throws(ConfigurationError) in
    var sample = Sample()
    sample.profile = name
    if name == "wan" { sample.interval = .seconds(5) } else if name != "lan" {
        throw .invalidValue(key: "profile", value: name, expected: "lan or wan", source: .flag)
    }
    return sample
}

private func writeFile(_ text: String) throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("cfg-\(UUID().uuidString).yaml").path
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
}

@Suite struct ConfigurationLoaderTests {
    @Test func precedenceIsFlagsThenEnvironmentThenFileThenProfile() throws {
        let file = try writeFile("""
            profile: wan
            membership:
              probe_interval: 3s
            plumtree:
              eager_fanout: 4
            join: [127.0.0.1:7000, "[::1]:7001"]
            tags:
              role: db
            """)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let fromFile = try loader.load(file: file, environment: [:], flags: [])
        #expect(fromFile.profile == "wan" && fromFile.interval == .seconds(3) && fromFile.fanout == 4)
        #expect(fromFile.join.map(\.description) == ["127.0.0.1:7000", "[::1]:7001"])
        #expect(fromFile.tags == ["role": "db"])

        let env = ["GOSSIP_PLUMTREE_EAGER_FANOUT": "5", "GOSSIP_MEMBERSHIP_PROBE_INTERVAL": "2s", "HOME": "/x"]
        let withEnv = try loader.load(file: file, environment: env, flags: [])
        #expect(withEnv.fanout == 5 && withEnv.interval == .seconds(2))

        let withFlags = try loader.load(file: file, environment: env, flags: [("plumtree.eager_fanout", .scalar("6"))])
        #expect(withFlags.fanout == 6 && withFlags.interval == .seconds(2))

        let profileOnly = try loader.load(file: nil, environment: [:], flags: [("profile", .scalar("wan"))])
        #expect(profileOnly.interval == .seconds(5))
    }

    @Test func unknownKeysAreRefusedWithTheirNameAndSource() throws {
        let file = try writeFile("plumtree:\n  eager_fanuot: 4\n")
        defer { try? FileManager.default.removeItem(atPath: file) }
        #expect(throws: ConfigurationError.unknownKey(key: "plumtree.eager_fanuot", source: .file(file))) {
            try loader.load(file: file, environment: [:], flags: [])
        }
        #expect(throws: ConfigurationError.unknownKey(key: "GOSSIP_BOGUS", source: .environment("GOSSIP_BOGUS"))) {
            try loader.load(file: nil, environment: ["GOSSIP_BOGUS": "1"], flags: [])
        }
    }

    @Test func badValuesNameTheKeyAndWhatWasExpected() throws {
        do {
            _ = try loader.load(file: nil, environment: ["GOSSIP_MEMBERSHIP_PROBE_INTERVAL": "soon"], flags: [])
            Issue.record("a bad duration was accepted")
        } catch {
            #expect(error == .invalidValue(key: "membership.probe_interval", value: "soon",
                                           expected: "a duration such as 500ms, 1s or 2m",
                                           source: .environment("GOSSIP_MEMBERSHIP_PROBE_INTERVAL")))
            #expect(error.description.contains("membership.probe_interval"))
        }
        #expect(throws: ConfigurationError.self) {
            try loader.load(file: nil, environment: [:], flags: [("join", .list(["127.0.0.1"]))])
        }
        #expect(throws: ConfigurationError.self) {
            try loader.load(file: nil, environment: [:], flags: [("plumtree.eager_fanout", .scalar("0"))])
        }
        let broken = try writeFile("membership: [1, 2\n")
        defer { try? FileManager.default.removeItem(atPath: broken) }
        #expect(throws: ConfigurationError.self) { try loader.load(file: broken, environment: [:], flags: []) }
    }

    @Test func valueParsersAcceptTheDocumentedForms() throws {
        let anyDuration = Duration.zero ... .seconds(86_400)
        #expect(try ValueParsers.duration("250ms", key: "k", range: anyDuration, source: .flag) == .milliseconds(250))
        #expect(try ValueParsers.duration("1.5s", key: "k", range: anyDuration, source: .flag) == .milliseconds(1500))
        #expect(try ValueParsers.duration("2m", key: "k", range: anyDuration, source: .flag) == .seconds(120))
        #expect(try ValueParsers.duration("24h", key: "k", range: anyDuration, source: .flag) == .seconds(86_400))
        #expect(throws: ConfigurationError.outOfRange(key: "k", value: "1e300s", allowed: "0s...24h", source: .flag)) {
            try ValueParsers.duration("1e300s", key: "k", range: anyDuration, source: .flag)
        }
        #expect(try ValueParsers.bytes("64KiB", key: "k", range: 0...1 << 30, source: .flag) == 65536)
        #expect(try ValueParsers.bytes("1400", key: "k", range: 0...1 << 30, source: .flag) == 1400)
        #expect(try ValueParsers.boolean("off", key: "k", source: .flag) == false)
        #expect(throws: ConfigurationError.self) { try ValueParsers.bytes("9999999MiB", key: "k", range: 0...1 << 30, source: .flag) }
    }
}
