import Foundation
import Logging
import Testing
import ProtocolSupport
@testable import GossipObservability

@Suite("Logging: text and JSON handlers, per-component levels, rate limiting")
struct LoggingTests {
    let fixedTime: @Sendable () -> String = { "2026-01-02T03:04:05.006Z" }

    @Test("text lines: timestamp, level, component, message, sorted metadata")
    func textFormat() {
        let sink = MemoryLogSink()
        var logger = Logger(label: "gossip.protocol") { label in
            GossipLogHandler(label: label, format: .text, level: .info, sink: sink, metadata: ["node": "n1"], timestamp: fixedTime)
        }
        logger[metadataKey: "zone"] = "eu"
        logger.info("peer joined", metadata: ["peer": "node-2", "addr": "127.0.0.1:7946"])
        logger.debug("not shown at info")
        #expect(sink.lines == ["2026-01-02T03:04:05.006Z info protocol: peer joined addr=127.0.0.1:7946 node=n1 peer=node-2 zone=eu"])
    }

    @Test("JSON lines parse and carry the fields")
    func jsonFormat() throws {
        let sink = MemoryLogSink()
        let logger = Logger(label: "gossip.network") { label in
            GossipLogHandler(label: label, format: .json, level: .trace, sink: sink, timestamp: fixedTime)
        }
        logger.warning("packet refused: \"bad crc\"\n", metadata: ["reason": "bad_crc", "sizes": ["1", "2"], "peer": ["name": "n2"]])
        let line = try #require(sink.lines.first)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["timestamp"] as? String == "2026-01-02T03:04:05.006Z")
        #expect(object["level"] as? String == "warning")
        #expect(object["component"] as? String == "network")
        #expect(object["message"] as? String == "packet refused: \"bad crc\"\n")
        let metadata = try #require(object["metadata"] as? [String: Any])
        #expect(metadata["reason"] as? String == "bad_crc")
        #expect(metadata["sizes"] as? [String] == ["1", "2"])
        #expect((metadata["peer"] as? [String: String])?["name"] == "n2")
    }

    @Test("default levels: protocol info, network warning, metrics info; configurable per component")
    func levels() throws {
        let sink = MemoryLogSink()
        var configuration = LoggingConfiguration(sink: sink)
        #expect(configuration.level(for: .protocol) == .info)
        #expect(configuration.level(for: .network) == .warning)
        #expect(configuration.level(for: .metrics) == .info)
        #expect(configuration.level(forLabel: "gossip.network.udp") == .warning)
        #expect(configuration.level(forLabel: "someone.else") == .info)

        let network = GossipLogging.logger(.network, configuration: configuration)
        network.info("hidden")
        network.warning("shown")
        #expect(sink.lines.count == 1)

        configuration.levels = try LoggingConfiguration.parseLevels("network=debug, protocol=warn")
        #expect(configuration.level(for: .network) == .debug)
        #expect(configuration.level(for: .protocol) == .warning)
        GossipLogging.logger(.network, configuration: configuration).debug("now shown")
        GossipLogging.logger(.protocol, configuration: configuration).info("hidden")
        #expect(sink.lines.count == 2)
    }

    @Test("bad level settings are refused with a message that says what to write")
    func badLevels() {
        #expect(throws: LoggingConfigurationError.unknownComponent("disk")) {
            try LoggingConfiguration.parseLevels("disk=info")
        }
        #expect(throws: LoggingConfigurationError.unknownLevel("loud")) {
            try LoggingConfiguration.parseLevels("network=loud")
        }
        #expect(throws: LoggingConfigurationError.malformed("network")) {
            try LoggingConfiguration.parseLevels("network")
        }
        #expect(LoggingConfigurationError.unknownComponent("disk").description.contains("protocol, network, metrics"))
    }

    @Test("rate limiter: N lines per window per key, then one 'suppressed K lines' line")
    func rateLimiter() {
        let sink = MemoryLogSink()
        let logger = Logger(label: "gossip.network") { label in
            GossipLogHandler(label: label, format: .text, level: .info, sink: sink, timestamp: fixedTime)
        }
        let limiter = LogRateLimiter(limit: 3, window: .seconds(10))
        let t0 = Instant(nanoseconds: 1_000_000_000)
        for i in 0..<100 {
            limiter.log(logger, level: .warning, key: "bad_crc", now: t0 + .milliseconds(i), "refused packet \(i)")
        }
        limiter.log(logger, level: .warning, key: "too_large", now: t0, "other key")
        #expect(sink.lines.count == 4)
        #expect(limiter.pendingSuppressed(key: "bad_crc") == 97)
        limiter.log(logger, level: .warning, key: "bad_crc", now: t0 + .seconds(10), "after the window")
        let tail = sink.lines.suffix(2)
        #expect(tail.first?.contains("suppressed 97 lines") == true)
        #expect(tail.first?.contains("rate_limit_key=bad_crc") == true)
        #expect(tail.last?.contains("after the window") == true)
        #expect(limiter.pendingSuppressed(key: "bad_crc") == 0)
    }

    @Test("rate limiter tracks a bounded number of keys")
    func boundedKeys() {
        let limiter = LogRateLimiter(limit: 1, window: .seconds(60), maximumKeys: 8)
        let t0 = Instant(nanoseconds: 0)
        for i in 0..<1000 {
            #expect(limiter.decide(key: "sender-\(i)", now: t0 + .milliseconds(i)) == .log(suppressedBefore: 0))
        }
        // The newest key is still tracked and limited; the oldest were evicted.
        #expect(limiter.decide(key: "sender-999", now: t0 + .seconds(1)) == .suppress)
        #expect(limiter.decide(key: "sender-0", now: t0 + .seconds(1)) == .log(suppressedBefore: 0))
    }

    @Test("timestamps are RFC 3339 UTC with milliseconds")
    func timestamps() {
        #expect(LogTimestamp.format(seconds: 0, milliseconds: 5) == "1970-01-01T00:00:00.005Z")
        #expect(LogTimestamp.format(seconds: 1_700_000_000, milliseconds: 123) == "2023-11-14T22:13:20.123Z")
        #expect(LogTimestamp.now().count == 24)
    }
}
