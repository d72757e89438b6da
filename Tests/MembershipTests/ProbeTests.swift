import Membership
import MemberlistWire
import ProtocolSupport
import Testing

/// The failure detector's fallbacks and Lifeguard's local health, on the simulated network.
@Suite struct ProbeTests {
    static func cluster(_ n: Int, seed: UInt64) -> SimulatedNetwork {
        var net = SimulatedNetwork(seed: seed, config: ClusterTests.fast)
        for _ in 0..<n { net.addNode() }
        for i in 1..<n { net.join(i, seeds: [0]) }
        net.run(for: .seconds(5))
        return net
    }

    @Test func indirectProbesKeepAMemberAliveWhenTheDirectPathIsBroken() {
        var net = Self.cluster(5, seed: 41)
        #expect(net.converged(live: Array(0..<5)))
        net.blockedDatagrams = [[0, 1], [1, 0]]
        net.blockedStreams = [[0, 1], [1, 0]]
        net.run(for: .seconds(60))
        #expect(net.converged(live: Array(0..<5)))
        #expect(!net.events.contains { if case .suspect = $0.2 { return true } else { return false } })
        #expect(net.nodes[0].metrics.value("memberlist_probes_total", [("result", "indirect_ack")]) >= 3)
        #expect(net.nodes[0].core.healthScore == 0)
    }

    @Test func theTCPPingSavesAMemberWhoseUDPIsBlocked() {
        var net = Self.cluster(2, seed: 42)
        #expect(net.converged(live: [0, 1]))
        net.blockedDatagrams = [[0, 1], [1, 0]]
        net.run(for: .seconds(30))
        #expect(net.converged(live: [0, 1]))
        #expect(net.nodes[0].metrics.value("memberlist_probes_total", [("result", "indirect_ack")]) >= 10)
        #expect(!net.events.contains { if case .suspect = $0.2 { return true } else { return false } })
    }

    @Test func aNodeThatHearsNothingRaisesItsHealthScoreAndSlowsDown() {
        var net = Self.cluster(6, seed: 43)
        #expect(net.converged(live: Array(0..<6)))
        // Node 0 can send but receives nothing: its probes fail and the nacks it expects never come.
        for i in 1..<6 {
            net.blockedDatagrams.insert([i, 0])
            net.blockedStreams.insert([0, i])
        }
        let probesBefore = net.nodes[0].metrics.total("memberlist_probes_total")
        net.run(for: .seconds(20))
        #expect(net.nodes[0].core.healthScore == MembershipConfig.lan.awarenessMaxMultiplier - 1)
        #expect(net.nodes[0].metrics.value("memberlist_health_score") == 7)
        // Scaled up to 8 s per probe, it ran far fewer than 20 probes in 20 s.
        let probes = net.nodes[0].metrics.value("memberlist_probes_total", [("result", "timeout")])
        #expect(probes < 10)
        #expect(net.nodes[0].metrics.total("memberlist_probes_total") > probesBefore)
        // The others, who hear each other, keep a score of zero.
        for i in 1..<6 { #expect(net.nodes[i].core.healthScore == 0) }
    }
}
