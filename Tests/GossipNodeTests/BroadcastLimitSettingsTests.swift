import GossipNode
import Testing

/// The cache's byte budget and the outbound stream limits as settings: defaults, every source, ranges.
@Suite struct BroadcastLimitSettingsTests {
    @Test func defaultsFitASmallServiceAndEverySourceSetsThem() throws {
        let defaults = try GossipNodeConfiguration.load(file: nil, environment: [:], flags: [("name", .scalar("n"))])
        #expect(defaults.plumtree.messageCacheMaxBytes == 64 << 20)
        #expect(defaults.plumtree.maxOutboundStreamBytes == 16 << 20)
        #expect(defaults.plumtree.maxOutboundStreams == 128)
        let set = try GossipNodeConfiguration.load(
            file: nil, environment: ["GOSSIP_PLUMTREE_MESSAGE_CACHE_MAX_BYTES": "8MiB"],
            flags: [("name", .scalar("n")), ("plumtree.max_outbound_streams", .scalar("32")),
                    ("plumtree.max_outbound_stream_bytes", .scalar("2MiB"))])
        #expect(set.plumtree.messageCacheMaxBytes == 8 << 20)
        #expect(set.plumtree.maxOutboundStreams == 32)
        #expect(set.plumtree.maxOutboundStreamBytes == 2 << 20)
    }

    @Test func valuesOutsideTheirRangeAreRefusedNamingTheKey() {
        for (key, value) in [("plumtree.message_cache_max_bytes", "1KiB"), ("plumtree.max_outbound_stream_bytes", "100"),
                             ("plumtree.max_outbound_streams", "0")] {
            #expect {
                try GossipNodeConfiguration.load(file: nil, environment: [:], flags: [("name", .scalar("n")), (key, .scalar(value))])
            } throws: { error in
                "\(error)".contains(key)
            }
        }
    }
}
