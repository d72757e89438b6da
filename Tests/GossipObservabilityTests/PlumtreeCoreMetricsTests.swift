import Testing
import GossipNodeCore
import Membership
import Plumtree
import ProtocolSupport
@testable import GossipObservability

/// The Plumtree core recording through NodeMetrics, as a node runs it.
@Suite("NodeMetrics with the real Plumtree core")
struct PlumtreeCoreMetricsTests {
    @Test("the core's descriptors agree with the contract: names, kinds, buckets, labels")
    func descriptorsMatchContract() {
        let core = Dictionary(uniqueKeysWithValues: PlumtreeCore.descriptors.map { ($0.name, $0) })
        for expected in MetricContract.plumtree {
            let declared = core[expected.name]
            #expect(declared != nil, "\(expected.name) not declared by the core")
            #expect(declared?.kind == expected.kind, "\(expected.name) kind")
            #expect(declared?.buckets == expected.buckets, "\(expected.name) buckets")
            #expect(declared?.labelNames == expected.labelNames, "\(expected.name) labels")
            #expect(declared?.help.isEmpty == false)
        }
    }

    @Test("the membership core declares the contract's membership metrics, with the same kinds and buckets")
    func membershipDescriptorsMatchContract() {
        let core = Dictionary(uniqueKeysWithValues: MembershipCore.descriptors.map { ($0.name, $0) })
        for expected in MetricContract.membership {
            let declared = core[expected.name]
            #expect(declared != nil, "\(expected.name) not declared by the membership core")
            #expect(declared?.kind == expected.kind, "\(expected.name) kind")
            #expect(declared?.buckets == expected.buckets, "\(expected.name) buckets")
            #expect(declared?.labelNames == expected.labelNames, "\(expected.name) labels")
        }
        for descriptor in MembershipCore.descriptors where !descriptor.labelNames.isEmpty {
            #expect(MetricContract.labelValues[descriptor.name]?.isEmpty == false, "\(descriptor.name) label values")
        }
        #expect(Set(MetricContract.labelValues["memberlist_packets_dropped_total"] ?? []).isSuperset(of: [
            "malformed", "bad_crc", "decryption_failed", "too_large", "unknown_type", "incompatible_version", "unknown_sender",
        ]))
    }

    @Test("three cores, three registries: separate values, no catalogue violation, promtool-clean")
    func threeCores() throws {
        let t0 = Instant(nanoseconds: 1_000_000_000)
        let names = ["n1", "n2", "n3"]
        let registries = names.map { _ in NodeMetrics() }
        var cores = names.indices.map { index in
            PlumtreeCore(config: PlumtreeConfig(), localID: names[index], seed: UInt64(index + 1),
                         metrics: registries[index], now: t0)
        }
        var outputs: [[PlumtreeOutput]] = names.map { _ in [] }
        for index in names.indices {
            for other in names where other != names[index] {
                cores[index].memberUp(other, advertisesPlumtree: true, now: t0, into: &outputs[index])
            }
        }
        _ = try cores[0].broadcast(Array(repeating: 7, count: 2000), now: t0, into: &outputs[0])
        // Route sends until quiet (bounded).
        var delivered = 0
        for _ in 0..<20 {
            var moved = false
            for index in names.indices {
                let pending = outputs[index]
                outputs[index].removeAll()
                for output in pending {
                    switch output {
                    case .send(let to, let bytes, _):
                        guard let target = names.firstIndex(of: to) else { continue }
                        moved = true
                        cores[target].receive(envelope: bytes, now: t0, into: &outputs[target])
                    case .deliver:
                        delivered += 1
                    case .graft, .refused, .tree:
                        break
                    }
                }
            }
            if !moved { break }
        }
        #expect(delivered == 2)

        let snapshots = registries.map { $0.snapshot() }
        #expect(snapshots[0].value("plumtree_messages_broadcast_total") == 1)
        #expect(snapshots[1].value("plumtree_messages_broadcast_total") == 0)
        #expect(snapshots[1].value("plumtree_messages_delivered_total") == 1)
        #expect(snapshots[0].value("plumtree_messages_delivered_total") == 0)
        #expect(snapshots[0].value("plumtree_cache_capacity") == Double(PlumtreeConfig().messageCacheMaxSize))
        let size = try #require(snapshots[0].histogram("plumtree_message_size_bytes"))
        #expect(size.buckets.map(\.upperBound) == [100, 1024, 10240, 65536, 262144])
        #expect(size.buckets.map(\.cumulativeCount) == [0, 0, 1, 1, 1])
        for registry in registries {
            // Membership metrics come from the membership core; everything the Plumtree core records is declared.
            #expect(registry.catalogueViolations.isEmpty, "\(registry.catalogueViolations)")
            let exported = Set(registry.snapshot().families.map(\.name))
            for descriptor in PlumtreeCore.descriptors {
                #expect(exported.contains(descriptor.name), "\(descriptor.name) not exported")
            }
        }

        let promtool = try Tool.promtool.require()
        let result = try run(promtool, ["check", "metrics"], input: registries[1].render())
        #expect(result.status == 0, "\(result.summary)")
        #expect(result.output.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "\(result.output)")

        // The health model reads the same core.
        var model = HealthModel()
        model.observe(cores[1].snapshot, at: t0)
        let input = HealthInput(plumtree: cores[1].snapshot, running: true, minimumPeers: 2, awarenessScore: 0,
                                members: MembersByState(alive: 3), otherLiveMembers: 2)
        #expect(input.totalPeers == 2)
        #expect(model.evaluate(input, now: t0).status == .healthy)
    }

    @Test("a node core in one registry: every declared metric exported, no violation, promtool-clean")
    func bothCoresInOneRegistry() throws {
        let t0 = Instant(nanoseconds: 1_000_000_000)
        // The node core's descriptors only: the node's limits are recorded by the driver, not by a core.
        let metrics = NodeMetrics(descriptors: NodeCore.descriptors)
        // The node core creates both protocol cores and its own metrics in one registry.
        _ = try NodeCore(config: NodeCoreConfig(name: "n1", membershipSource: .swim(advertise: SocketAddress(ipv4: 127, 0, 0, 1, port: 7946))),
                         seed: 1, metrics: metrics, now: t0)
        #expect(metrics.catalogueViolations.isEmpty, "\(metrics.catalogueViolations)")
        let snapshot = metrics.snapshot()
        for descriptor in metrics.declaredDescriptors {
            #expect(snapshot.family(descriptor.name) != nil, "\(descriptor.name) declared but not exported")
        }
        #expect(Set(snapshot.families.map(\.name)) == Set(metrics.declaredDescriptors.map(\.name)))
        #expect(snapshot.value("memberlist_members", ["state": "alive"]) != nil)
        let promtool = try Tool.promtool.require()
        let result = try run(promtool, ["check", "metrics"], input: metrics.render())
        #expect(result.status == 0, "\(result.summary)")
        #expect(result.output.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "\(result.output)")
    }
}
