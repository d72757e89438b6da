@testable import GossipNode
import ProtocolSupport
import Testing

/// `gossip-node settings`: every setting, with the default each profile really gives it.
@Suite struct SettingsReferenceTests {
    @Test func everySettingIsListedWithItsVariable() {
        let rows = SettingsReference.rows
        #expect(rows.map(\.key) == GossipNodeConfiguration.settings.settings.map(\.key))
        #expect(rows.allSatisfy { $0.environmentVariable.hasPrefix("GOSSIP_") && !$0.help.isEmpty })
    }

    @Test func theDefaultsAreWhatEachProfileBuilds() {
        let rows = Dictionary(uniqueKeysWithValues: SettingsReference.rows.map { ($0.key, $0) })
        for (index, profile) in SettingsReference.profiles.enumerated() {
            let built = GossipNodeConfiguration(name: "x", bind: SocketAddress(ipv4: 127, 0, 0, 1, port: 7946), profile: profile)
            #expect(rows["membership.probe_interval"]?.defaults[index] == DurationText.format(built.membership.probeInterval))
            #expect(rows["plumtree.message_cache_ttl"]?.defaults[index] == DurationText.format(built.plumtree.messageCacheTTL))
            #expect(rows["plumtree.eager_fanout"]?.defaults[index] == "\(built.plumtree.eagerFanout)")
            #expect(rows["delivery_buffer_limit"]?.defaults[index] == "\(built.deliveryBufferLimit)")
            // A choice is shown as the setting takes it.
            #expect(rows["delivery_mode"]?.defaults[index] == built.deliveryMode.rawValue)
        }
        // Every setting that has a default shows one, under every profile.
        let missing = SettingsReference.rows.filter { row in
            !SettingsReference.withoutDefault.contains(row.key) && row.defaults.contains("")
        }.map(\.key)
        #expect(missing.isEmpty, "no default found for \(missing)")
        // Secrets never appear.
        #expect(rows["admin_token"]?.defaults == ["", "", ""])
    }
}
