import Foundation
import Testing
@testable import GossipNode

/// Hostile and careless values for the node's settings: each is refused with a typed error naming the key,
/// the value and the allowed range, whatever the source, and none traps. Before the range checks,
/// `1e300s` and `9999999999999h` ended the agent in SIGILL (`Int64(Double)` on an infinite or too large
/// value).
@Suite struct ConfigurationRangeTests {
    /// Every duration setting of the node, with the range it documents.
    static let durationRanges: [(key: String, allowed: String)] = [
        ("leave_timeout", "0s...10m"),
        ("membership.probe_interval", "1ms...1h"),
        ("membership.probe_timeout", "1ms...1h"),
        ("membership.gossip_interval", "1ms...1h"),
        ("membership.gossip_to_the_dead_time", "0s...24h"),
        ("membership.push_pull_interval", "0s...24h"),
        ("membership.tcp_timeout", "1ms...1h"),
        ("plumtree.ihave_interval", "1ms...1m"),
        ("plumtree.graft_timeout", "1ms...10m"),
        ("plumtree.message_cache_ttl", "1ms...24h"),
        ("plumtree.prune_settle_delay", "0s...1m"),
        ("plumtree.anti_entropy_interval", "1ms...1h"),
        ("plumtree.anti_entropy_max_interval", "1ms...24h"),
    ]

    static func load(file: String? = nil, environment: [String: String] = [:],
                     flags: [(key: String, value: RawSetting)] = []) throws(ConfigurationError) -> GossipNodeConfiguration {
        try GossipNodeConfiguration.load(file: file, environment: environment, flags: [("name", .scalar("n1"))] + flags)
    }

    static func writeFile(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cfg-\(UUID().uuidString).yaml").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func hugeDurationsInTheFileAreRefusedNotTrapped() throws {
        for (key, value) in [("probe_interval", "1e300s"), ("probe_interval", "9999999999999h")] {
            let file = try Self.writeFile("membership:\n  \(key): \(value)\n")
            defer { try? FileManager.default.removeItem(atPath: file) }
            #expect(throws: ConfigurationError.outOfRange(key: "membership.\(key)", value: value, allowed: "1ms...1h", source: .file(file))) {
                try Self.load(file: file)
            }
        }
        let file = try Self.writeFile("plumtree:\n  message_cache_ttl: 3e12h\n")
        defer { try? FileManager.default.removeItem(atPath: file) }
        #expect(throws: ConfigurationError.outOfRange(key: "plumtree.message_cache_ttl", value: "3e12h", allowed: "1ms...24h", source: .file(file))) {
            try Self.load(file: file)
        }
    }

    @Test func hugeDurationsInTheEnvironmentAndFlagsAreRefused() {
        let variable = "GOSSIP_MEMBERSHIP_PROBE_INTERVAL"
        #expect(throws: ConfigurationError.outOfRange(key: "membership.probe_interval", value: "1e300s", allowed: "1ms...1h",
                                                      source: .environment(variable))) {
            try Self.load(environment: [variable: "1e300s"])
        }
        #expect(throws: ConfigurationError.outOfRange(key: "membership.probe_interval", value: "9999999999999h", allowed: "1ms...1h",
                                                      source: .flag)) {
            try Self.load(flags: [("membership.probe_interval", .scalar("9999999999999h"))])
        }
    }

    @Test func everyDurationSettingHasARange() throws {
        for (key, allowed) in Self.durationRanges {
            #expect(GossipNodeConfiguration.settings.setting(key) != nil, "\(key) is a setting")
            for value in ["1e300s", "9999999999999h", "25h"] {
                #expect(throws: ConfigurationError.outOfRange(key: key, value: value, allowed: allowed, source: .flag)) {
                    try Self.load(flags: [(key, .scalar(value))])
                }
            }
            // The ends of the range are accepted.
            for end in allowed.components(separatedBy: "...") {
                _ = try Self.load(flags: [(key, .scalar(end))])
            }
        }
        let settled = try Self.load(flags: [("membership.probe_interval", .scalar("1h")), ("plumtree.message_cache_ttl", .scalar("1ms"))])
        #expect(settled.membership.probeInterval == .seconds(3600) && settled.plumtree.messageCacheTTL == .milliseconds(1))
        #expect(throws: ConfigurationError.outOfRange(key: "membership.probe_interval", value: "0s", allowed: "1ms...1h", source: .flag)) {
            try Self.load(flags: [("membership.probe_interval", .scalar("0s"))])
        }
        #expect(try Self.load(flags: [("membership.push_pull_interval", .scalar("0s"))]).membership.pushPullInterval == .zero)
    }

    @Test func theProfilesDefaultsAreInsideTheRanges() throws {
        // A range that refused a profile's own value would make the profile unusable from a file.
        for profile in GossipNodeConfiguration.Profile.allCases {
            let c = GossipNodeConfiguration(name: "n", bind: SocketAddress(ipv4: 127, 0, 0, 1, port: 0), profile: profile)
            let values: [(String, Duration)] = [
                ("leave_timeout", c.leaveTimeout), ("membership.probe_interval", c.membership.probeInterval),
                ("membership.probe_timeout", c.membership.probeTimeout), ("membership.gossip_interval", c.membership.gossipInterval),
                ("membership.gossip_to_the_dead_time", c.membership.gossipToTheDeadTime),
                ("membership.push_pull_interval", c.membership.pushPullInterval), ("membership.tcp_timeout", c.membership.tcpTimeout),
                ("plumtree.ihave_interval", c.plumtree.ihaveInterval), ("plumtree.graft_timeout", c.plumtree.graftTimeout),
                ("plumtree.message_cache_ttl", c.plumtree.messageCacheTTL), ("plumtree.prune_settle_delay", c.plumtree.pruneSettleDelay),
                ("plumtree.anti_entropy_interval", c.plumtree.antiEntropyInterval),
                ("plumtree.anti_entropy_max_interval", c.plumtree.antiEntropyMaxInterval),
            ]
            #expect(values.count == Self.durationRanges.count)
            for (key, value) in values {
                _ = try Self.load(flags: [("profile", .scalar(profile.rawValue)), (key, .scalar(DurationText.format(value)))])
            }
        }
    }

    @Test func notANumberInfinityAndNegativeDurationsAreRefused() {
        for value in ["nans", "nanms", "infs", "infinityh", "-infs", "-1s", "-0.5ms", "1e309s", "0x1p1023h"] {
            #expect(throws: ConfigurationError.self, "\(value)") {
                try Self.load(flags: [("membership.probe_interval", .scalar(value))])
            }
        }
    }

    @Test func theErrorNamesTheKeyTheValueAndTheRange() {
        do {
            _ = try Self.load(environment: ["GOSSIP_PLUMTREE_EAGER_FANOUT": "1000"])
            Issue.record("an eager fanout of 1000 was accepted")
        } catch {
            #expect(error == .outOfRange(key: "plumtree.eager_fanout", value: "1000", allowed: "1...64",
                                         source: .environment("GOSSIP_PLUMTREE_EAGER_FANOUT")))
            let text = error.description
            #expect(text.contains("plumtree.eager_fanout") && text.contains("1000") && text.contains("1...64")
                    && text.contains("GOSSIP_PLUMTREE_EAGER_FANOUT"), "\(text)")
        }
    }

    @Test func sizesIntegersAndAddressesNeverTrap() {
        let hostile: [(String, String)] = [
            ("membership.udp_buffer_size", "99999999999999999MiB"), ("membership.udp_buffer_size", "9999999999999999999999KiB"),
            ("membership.udp_buffer_size", "-1KiB"), ("membership.udp_buffer_size", "1e9"), ("plumtree.max_message_size", "nanB"),
            ("plumtree.eager_fanout", "99999999999999999999999"), ("plumtree.eager_fanout", "-9223372036854775808"),
            ("plumtree.eager_fanout", "1e3"), ("seed", "18446744073709551616"), ("seed", "-1"),
            ("bind", "127.0.0.1:65536"), ("bind", "127.0.0.1:99999999999999999999"), ("bind", "[::1]:-1"),
            ("bind", "300.0.0.1:1"), ("bind", "[1:2:3:4:5:6:7:8:9]:1"), ("bind", "[::1"), ("bind", ":"),
            ("join", "127.0.0.1:1,,127.0.0.1:70000"),
        ]
        for (key, value) in hostile {
            #expect(throws: ConfigurationError.self, "\(key)=\(value)") { try Self.load(flags: [(key, .scalar(value))]) }
        }
        #expect(throws: ConfigurationError.outOfRange(key: "membership.udp_buffer_size", value: "99999999999999999MiB",
                                                      allowed: "576...65507 bytes", source: .flag)) {
            try Self.load(flags: [("membership.udp_buffer_size", .scalar("99999999999999999MiB"))])
        }
    }

    @Test func yamlNumbersOfEveryKindAreReadAsText() throws {
        // Yams would read these as floats, infinities or octal numbers; the loader takes the text and the
        // setting's own parser decides.
        for value in [".inf", "-.inf", ".nan", "1e300", "0o777", "0x7fffffffffffffffff", "99999999999999999999999999"] {
            let file = try Self.writeFile("plumtree:\n  eager_fanout: \(value)\nmembership:\n  probe_interval: \(value)\n")
            defer { try? FileManager.default.removeItem(atPath: file) }
            #expect(throws: ConfigurationError.self, "\(value)") { try Self.load(file: file) }
        }
        let list = try Self.writeFile("join: [1e300, .inf, [nested]]\n")
        defer { try? FileManager.default.removeItem(atPath: list) }
        #expect(throws: ConfigurationError.self) { try Self.load(file: list) }
    }
}
