// Membership benchmarks: the SWIM core's hot paths, measured on the core itself (no sockets).
import CoreMetrics
import MemberlistWire
import Membership
import ProtocolSupport

let membershipBenchmarks: [BenchmarkSuite] = [
    BenchmarkSuite(name: "membership") {
        [
            probeRound(members: 50, compression: true), probeRound(members: 50, compression: false),
            probeRound(members: 1000, compression: true), pushPullMerge(members: 50),
        ]
    }
]

/// The LAN profile without periodic push/pull, so a probe round measures probing only.
private func benchConfig(compression: Bool = true) -> MembershipConfig {
    var config = MembershipConfig.lan
    config.pushPullInterval = .zero
    config.compression = compression
    return config
}

private func memberAddress(_ i: Int) -> SocketAddress {
    SocketAddress(ipv4: 10, 1, UInt8(i / 250), UInt8(i % 250 + 1), port: 7946)
}

/// A core that knows `members - 1` others, with the gossip of their arrival already drained.
private func populatedCore(members: Int, compression: Bool = true) -> (MembershipCore, Instant) {
    var core = try! MembershipCore(
        config: benchConfig(compression: compression), local: LocalNode(name: "bench", address: SocketAddress(ipv4: 10, 0, 0, 1, port: 7946)),
        seed: 7, metrics: NOOPMetricsHandler.instance, now: .zero)
    var out: [MembershipOutput] = []
    for i in 1..<members {
        let alive = Alive(incarnation: 1, node: "member-\(i)", addr: memberAddress(i).ip, port: 7946, vsn: .serfAgent)
        core.receiveDatagram(alive.encoded(), from: memberAddress(i), now: .zero, into: &out)
    }
    var now = Instant.zero
    for _ in 0..<200 {
        now = core.nextDeadline ?? now
        out.removeAll(keepingCapacity: true)
        core.handleTimeout(now: now, into: &out)
        answerPings(&core, out, now: now)
    }
    return (core, now)
}

/// What a healthy peer does with our ping: decode it, answer with an ack.
private func answerPings(_ core: inout MembershipCore, _ outputs: [MembershipOutput], now: Instant) {
    var replies: [MembershipOutput] = []
    for case .sendDatagram(let to, let bytes) in outputs {
        guard let messages = try? Packet.decode(bytes) else { continue }
        for case .ping(let ping) in messages {
            let ack = try! Packet.encode(AckResp(seqNo: ping.seqNo).encoded())
            core.receiveDatagram(ack, from: to, now: now + .milliseconds(1), into: &replies)
        }
    }
}

/// One probe: the tick picks the next member and pings it, the member decodes the ping and acks, the
/// core takes the ack (RTT, awareness). The clock moves one probe interval per round, so one gossip tick
/// (with nothing queued) runs in each round too.
private func probeRound(members: Int, compression: Bool) -> BenchmarkResult {
    var (core, start) = populatedCore(members: members, compression: compression)
    var now = start
    var out: [MembershipOutput] = []
    out.reserveCapacity(16)
    let ns = medianNanosPerOp(iterations: 20_000) { iterations in
        var sent = 0
        for _ in 0..<iterations {
            // One probe interval later: exactly one probe tick is due (and one gossip tick).
            now = now + .seconds(1)
            out.removeAll(keepingCapacity: true)
            core.handleTimeout(now: now, into: &out)
            sent &+= out.count
            answerPings(&core, out, now: now)
        }
        return core.counts.alive &+ sent
    }
    // A round that did not end in an ack would measure the failure path instead: say so.
    let healthy = core.counts.alive == members && core.healthScore == 0
    return BenchmarkResult(
        name: "probe round, \(members) members" + (compression ? "" : ", no compression"), value: ns,
        unit: "ns/probe",
        note: "tick + ping encode + peer decode/ack + ack handling, LAN profile"
            + (compression ? " (LZW tried on every packet, as memberlist does)" : "")
            + (healthy ? "" : " (WARNING: probes failed during the run)"))
}

/// A push/pull request from a peer that knows the same `members` nodes: answer with our state, merge theirs.
private func pushPullMerge(members: Int) -> BenchmarkResult {
    var (core, now) = populatedCore(members: members)
    var theirs = PushPull(join: false, nodes: [])
    for member in core.members {
        theirs.nodes.append(PushNodeState(
            name: member.name, addr: member.address.ip, port: member.address.port, meta: member.meta,
            incarnation: member.incarnation, state: .alive, vsn: member.versions))
    }
    let request = StreamMessage.pushPull(theirs).encoded()
    var out: [MembershipOutput] = []
    let ns = medianNanosPerOp(iterations: 2_000) { iterations in
        var bytes = 0
        for _ in 0..<iterations {
            out.removeAll(keepingCapacity: true)
            now = now + .milliseconds(1)
            bytes &+= core.receiveStream(request, from: memberAddress(1), now: now, into: &out)?.count ?? 0
        }
        return bytes
    }
    return BenchmarkResult(
        name: "push/pull answer + merge, \(members) members", value: ns, unit: "ns/exchange",
        note: "decode request, encode+LZW reply, merge")
}
