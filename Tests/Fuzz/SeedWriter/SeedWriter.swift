// Writes the fuzz seed corpus: valid packets and streams of every kind, made by our own encoders (which the
// tests check against Go's bytes), each prefixed with the fuzz target's mode byte.
#if canImport(Glibc)
import Glibc
#endif

@main
struct SeedWriter {
    static func main() throws {
        let folder = CommandLine.arguments.count > 1 ? CommandLine.arguments[1] : "Tests/Fuzz/corpus"
        let keyring = try Keyring(primaryKey: [UInt8](repeating: 0x5A, count: 32))
        let nonce: [UInt8] = Array(1...12)
        let alive = Alive(incarnation: 7, node: "serf-a", addr: [127, 0, 0, 1], port: 7946, meta: try SerfTags.encode(["role": "web"]), vsn: .serfAgent)
        let packets: [PacketMessage] = [
            .ping(Ping(seqNo: 1, node: "a")),
            .ping(Ping(seqNo: 2, node: "b", sourceAddr: [127, 0, 0, 1], sourcePort: 7000, sourceNode: "c")),
            .indirectPing(IndirectPingReq(seqNo: 3, target: [127, 0, 0, 2], port: 7946, node: "t", nack: true)),
            .ackResp(AckResp(seqNo: 1, payload: [1, 2, 3])), .nackResp(NackResp(seqNo: 4)),
            .suspect(Suspect(incarnation: 1, node: "a", from: "b")), .alive(alive),
            .dead(Dead(incarnation: 2, node: "a", from: "a")), .user([0x50, 0x01, 0x02]),
        ]
        var seeds: [(String, [UInt8], UInt8)] = []
        for (i, message) in packets.enumerated() {
            seeds.append(("packet-\(i)", message.encoded(), 0))
        }
        let compound = try Compound.build(packets.map { $0.encoded() })
        seeds.append(("packet-compound", compound, 0))
        seeds.append(("packet-compound-lzw-crc", try Packet.encode(compound, compress: true, addCRC: true), 0))
        seeds.append(("packet-nested", try Compound.build([Compress(buf: LZW.deflate(compound)).encoded(), packets[0].encoded()]), 0))
        seeds.append(("packet-encrypted", try Packet.encode(compound, addCRC: true, keyring: keyring, nonce: nonce), 1))
        seeds.append(("packet-plain-unverified", compound, 2))
        // Labelled as the fuzz target's second reading expects ("fz"), so the label paths start from valid input.
        let label = Array("fz".utf8)
        seeds.append(("packet-labelled", try Packet.encode(compound, addCRC: true, label: label), 0))
        seeds.append(("packet-labelled-encrypted", try Packet.encode(compound, keyring: keyring, nonce: nonce, label: label), 1))

        let nodes = (0..<3).map { i in
            PushNodeState(name: "n\(i)", addr: [10, 0, 0, UInt8(i)], port: 7946, meta: [0xFF, 0x80], incarnation: UInt32(i), state: .alive, vsn: .serfAgent)
        }
        let streams: [StreamMessage] = [
            .pushPull(PushPull(join: true, nodes: nodes, userState: [1, 2, 3, 4])), .user(Array("hello".utf8)),
            .ping(Ping(seqNo: 9, node: "n0")), .ackResp(AckResp(seqNo: 9)), .errResp(ErrResp(error: "no")),
        ]
        for (i, message) in streams.enumerated() {
            seeds.append(("stream-\(i)", message.encoded(), 3))
            seeds.append(("stream-chunked-\(i)", message.encoded(), 4))
            seeds.append(("stream-lzw-\(i)", try StreamFrame.encode(message, compress: true), 3))
            seeds.append(("stream-encrypted-\(i)", try StreamFrame.encode(message, compress: i % 2 == 0, keyring: keyring, nonce: nonce), 5))
            seeds.append(("stream-labelled-\(i)", LabelHeader.wrap(message.encoded(), label: label), 4))
            seeds.append(("stream-labelled-encrypted-\(i)", LabelHeader.wrap(
                try StreamFrame.encode(message, keyring: keyring, nonce: nonce, label: label), label: label), 5))
        }
        seeds.append(("lzw", LZW.deflate(Array("TOBEORNOTTOBEORTOBEORNOT".utf8)), 6))
        seeds.append(("tags", try SerfTags.encode(["role": "db", "dc": "eu"]), 7))

        for (name, bytes, mode) in seeds {
            let path = folder + "/" + name
            guard let file = fopen(path, "wb") else { throw WireError(.malformed, "cannot write \(path)") }
            let content = [mode] + bytes
            _ = content.withUnsafeBufferPointer { fwrite($0.baseAddress, 1, $0.count, file) }
            fclose(file)
        }
        print("wrote \(seeds.count) seeds to \(folder)")
    }
}
