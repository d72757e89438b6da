import GossipNode
import Testing

/// The inbound stream limits as settings: defaults, the environment and flags, and their ranges.
@Suite struct InboundStreamSettingsTests {
    @Test func defaultsAreTheDocumentedOnesAndEverySourceSetsThem() throws {
        let defaults = try GossipNodeConfiguration.load(file: nil, environment: [:], flags: [("name", .scalar("n"))])
        #expect(defaults.inboundStreams == InboundStreamLimits(maxConcurrent: 256, memoryBudget: 64 << 20))
        let set = try GossipNodeConfiguration.load(
            file: nil, environment: ["GOSSIP_MEMBERSHIP_INBOUND_STREAM_BUDGET": "32MiB"],
            flags: [("name", .scalar("n")), ("membership.max_inbound_streams", .scalar("40"))])
        #expect(set.inboundStreams == InboundStreamLimits(maxConcurrent: 40, memoryBudget: 32 << 20))
    }

    @Test func valuesOutsideTheirRangeAreRefusedNamingTheKey() {
        for (key, value) in [("membership.max_inbound_streams", "0"), ("membership.inbound_stream_budget", "1KiB")] {
            #expect {
                try GossipNodeConfiguration.load(file: nil, environment: [:], flags: [("name", .scalar("n")), (key, .scalar(value))])
            } throws: { error in
                "\(error)".contains(key)
            }
        }
    }
}
