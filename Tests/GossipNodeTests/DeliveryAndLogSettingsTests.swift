import Foundation
import GossipNode
import GossipObservability
import Testing

/// The delivery buffer and the per-component log levels as settings: YAML, the environment and flags, in
/// that order of precedence, and refusals that name the key.
@Suite struct DeliveryAndLogSettingsTests {
    @Test func defaultsDropTheOldestPastTenThousandAndKeepComponentLevels() throws {
        let defaults = try GossipNodeConfiguration.load(file: nil, environment: [:], flags: [("name", .scalar("n"))])
        #expect(defaults.deliveryMode == .dropOldest)
        #expect(defaults.deliveryBufferLimit == 10_000)
        #expect(defaults.logLevels.isEmpty)
    }

    @Test func yamlThenEnvironmentThenFlags() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("delivery-\(UUID().uuidString).yaml")
        try """
            delivery_mode: unbounded
            delivery_buffer_limit: 50
            log_levels: protocol=debug,admin=error
            """.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }

        let fromFile = try GossipNodeConfiguration.load(file: file.path, environment: [:], flags: [("name", .scalar("n"))])
        #expect(fromFile.deliveryMode == .unbounded)
        #expect(fromFile.deliveryBufferLimit == 50)
        #expect(fromFile.logLevels == [.protocol: .debug, .admin: .error])

        let overridden = try GossipNodeConfiguration.load(
            file: file.path, environment: ["GOSSIP_DELIVERY_BUFFER_LIMIT": "60", "GOSSIP_LOG_LEVELS": "network=info"],
            flags: [("name", .scalar("n")), ("delivery_mode", .scalar("drop_oldest")), ("log_levels", .scalar("metrics=warn"))])
        #expect(overridden.deliveryMode == .dropOldest)
        #expect(overridden.deliveryBufferLimit == 60)
        // Each source names the components it sets; the others keep what an earlier source gave them.
        #expect(overridden.logLevels == [.protocol: .debug, .admin: .error, .network: .info, .metrics: .warning])
    }

    @Test func badValuesAreRefusedNamingTheKeyAndWhatIsAccepted() {
        let cases = [("delivery_mode", "block", "unbounded"), ("delivery_buffer_limit", "0", "delivery_buffer_limit"),
                     ("log_levels", "storage=debug", "protocol, network, metrics, admin"),
                     ("log_levels", "protocol=loud", "unknown log level")]
        for (key, value, named) in cases {
            #expect {
                try GossipNodeConfiguration.load(file: nil, environment: [:], flags: [("name", .scalar("n")), (key, .scalar(value))])
            } throws: { error in
                "\(error)".contains(key) && "\(error)".contains(named)
            }
        }
    }
}
