// Wire benchmarks: encode and decode of every memberlist message kind, and the envelopes around them.
import MemberlistWire

let wireBenchmarks: [BenchmarkSuite] = [
    BenchmarkSuite(name: "wire", run: runWireBenchmarks)
]

/// One message kind: how to encode it and how to decode its bytes.
private struct WireCase {
    var name: String
    var encode: () -> [UInt8]
    var decode: ([UInt8]) -> Int
}

@Sendable private func runWireBenchmarks() -> [BenchmarkResult] {
    let vsn = Vsn.serfAgent
    let meta = (try? SerfTags.encode(["role": "web", "dc": "eu-west-1", "plumtree": "1"])) ?? []
    let alive = Alive(incarnation: 42, node: "node-0042.cluster.local", addr: [10, 1, 2, 3], port: 7946, meta: meta, vsn: vsn)
    let ping = Ping(seqNo: 123_456, node: "node-0007", sourceAddr: [10, 1, 2, 3], sourcePort: 7946, sourceNode: "node-0042")
    let indirect = IndirectPingReq(seqNo: 99, target: [10, 1, 2, 9], port: 7946, node: "node-0009", nack: true)
    let ack = AckResp(seqNo: 123_456, payload: [UInt8](repeating: 0x5C, count: 60))
    let suspect = Suspect(incarnation: 42, node: "node-0009", from: "node-0042")
    let dead = Dead(incarnation: 42, node: "node-0009", from: "node-0042")
    let nodes = (0..<100).map { i in
        PushNodeState(
            name: "node-\(i)", addr: [10, 1, UInt8(i / 256), UInt8(i % 256)], port: 7946, meta: meta,
            incarnation: UInt32(i), state: .alive, vsn: vsn)
    }
    let pushPull = StreamMessage.pushPull(PushPull(join: false, nodes: nodes, userState: [UInt8](repeating: 1, count: 512)))
    let keyring = try? Keyring(primaryKey: [UInt8](repeating: 7, count: 32))
    let nonce = [UInt8](repeating: 1, count: 12)
    let gossip = (0..<10).map { i in Alive(incarnation: UInt32(i), node: "node-\(i)", addr: [10, 0, 0, UInt8(i)], port: 7946, meta: meta, vsn: vsn).encoded() }
    let compound = (try? Compound.build([ping.encoded()] + gossip)) ?? []

    func packet(_ name: String, _ message: PacketMessage) -> WireCase {
        WireCase(
            name: name, encode: { message.encoded() },
            decode: { (try? Packet.decode($0))?.count ?? 0 })
    }
    func stream(_ name: String, _ message: StreamMessage) -> WireCase {
        WireCase(
            name: name, encode: { message.encoded() },
            decode: { bytes in
                var reader = StreamReader()
                if case .complete(_, let consumed) = reader.feed(bytes) { return consumed }
                return 0
            })
    }

    let cases: [WireCase] = [
        packet("ping", .ping(ping)), packet("indirectPing", .indirectPing(indirect)), packet("ackResp", .ackResp(ack)),
        packet("nackResp", .nackResp(NackResp(seqNo: 7))), packet("suspect", .suspect(suspect)),
        packet("alive", .alive(alive)), packet("dead", .dead(dead)), packet("user (UDP, 100 B)", .user([UInt8](repeating: 3, count: 100))),
        stream("pushPull 100 nodes (stream)", pushPull), stream("user (stream, 1 KiB)", .user([UInt8](repeating: 3, count: 1024))),
        stream("errResp (stream)", .errResp(ErrResp(error: "Remote state is encrypted"))),
        WireCase(
            name: "compound ping + 10 alive",
            encode: { (try? Compound.build([ping.encoded()] + gossip)) ?? [] },
            decode: { (try? Packet.decode($0))?.count ?? 0 }),
        WireCase(
            name: "compound + CRC + AES-GCM packet",
            encode: { (try? Packet.encode(compound, addCRC: true, keyring: keyring, nonce: nonce)) ?? [] },
            decode: { (try? Packet.decode($0, security: .init(keyring: keyring)))?.count ?? 0 }),
        WireCase(
            name: "compound + LZW packet",
            encode: { (try? Packet.encode(compound, compress: true)) ?? [] },
            decode: { (try? Packet.decode($0))?.count ?? 0 }),
        WireCase(
            name: "pushPull 100 nodes, LZW + AES-GCM stream",
            encode: { (try? StreamFrame.encode(pushPull, compress: true, keyring: keyring, nonce: nonce)) ?? [] },
            decode: { bytes in
                var reader = StreamReader(keyring: keyring)
                if case .complete(_, let consumed) = reader.feed(bytes) { return consumed }
                return 0
            }),
    ]

    var results: [BenchmarkResult] = []
    for wireCase in cases {
        let bytes = wireCase.encode()
        // Fewer iterations for the big cases keep every figure to a fraction of a second.
        let iterations = bytes.count > 4000 ? 500 : 20_000
        let encodeNanos = medianNanosPerOp(iterations: iterations) { n in
            var total = 0
            for _ in 0..<n { total &+= wireCase.encode().count }
            return total
        }
        let decodeNanos = medianNanosPerOp(iterations: iterations) { n in
            var total = 0
            for _ in 0..<n { total &+= wireCase.decode(bytes) }
            return total
        }
        results.append(BenchmarkResult(name: "encode \(wireCase.name)", value: encodeNanos, unit: "ns/msg", note: "\(bytes.count) B"))
        results.append(BenchmarkResult(name: "decode \(wireCase.name)", value: decodeNanos, unit: "ns/msg", note: "\(bytes.count) B"))
    }
    return results
}
