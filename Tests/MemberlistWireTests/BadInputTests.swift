// Untrusted bytes of every bad kind are refused with the right reason, never a crash.
import Testing
@testable import MemberlistWire

@Suite("bad input")
struct BadInputTests {
    static func streamRefusal(_ bytes: [UInt8], keyring: Keyring? = nil) -> WireError.Reason? {
        var reader = StreamReader(keyring: keyring)
        switch reader.feed(bytes) {
        case .failed(let error): return error.reason
        case .needMore:
            if case .failed(let error) = reader.finish() { return error.reason }
            return nil
        case .complete: return nil
        }
    }

    static let ping = Ping(seqNo: 1, node: "a").encoded()

    @Test func packetsOfEveryBadKind() throws {
        let lyingCompound: [UInt8] = [7, 2, 0, 3, 0xFF, 0xFF] + Self.ping.prefix(3)
        var nested = NackResp(seqNo: 1).encoded()
        for _ in 0..<9 { nested = try Compound.build([nested]) }
        let unknownAlgo = Compress(algo: 1, buf: LZW.deflate(Self.ping)).encoded()
        // A run of one byte compresses about 1000:1; 4 MiB of it inflates past the packet budget.
        let bomb = Compress(buf: LZW.deflate([UInt8](repeating: 0, count: 4 << 20))).encoded()
        let cases: [(String, [UInt8], WireError.Reason)] = [
            ("empty", [], .truncated),
            ("unknown type", [14, 0x80], .unknownType),
            ("label header on a node without a label", [244, 1, 0x61] + Self.ping, .labelMismatch),
            ("label type inside a compound", try Compound.build([[244, 1, 0x61]]), .unknownType),
            ("push/pull in a packet", PushPullHeader().encoded(), .unexpectedType),
            ("err in a packet", ErrResp(error: "x").encoded(), .unexpectedType),
            ("nested CRC", try Compound.build([CRCEnvelope.wrap(Self.ping)]), .unexpectedType),
            ("truncated map", Array(Self.ping.dropLast(2)), .truncated),
            ("map count larger than the bytes", [0, 0xDF, 0xFF, 0xFF, 0xFF, 0xFF], .truncated),
            ("string length larger than the bytes", [0, 0x81, 0xA4] + utf8("Node") + [0xDB, 0x7F, 0xFF, 0xFF, 0xFF, 0x61], .truncated),
            ("wrong value type", [0, 0x81, 0xA5] + utf8("SeqNo") + [0xA1, 0x61], .malformed),
            ("not a map", [0, 0x93, 1, 2, 3], .malformed),
            ("compound without count", [7], .truncated),
            ("compound with zero parts", [7, 0], .malformed),
            ("compound length table truncated", [7, 3, 0, 1], .truncated),
            ("compound part past the end", lyingCompound, .truncated),
            ("compound with an empty part", [7, 1, 0, 0], .truncated),
            ("nesting too deep", nested, .tooDeep),
            ("compression other than LZW", unknownAlgo, .unsupportedCompression),
            ("LZW garbage", Compress(buf: [0xFF, 0xFF, 0xFF]).encoded(), .unsupportedCompression),
            ("decompression bomb", bomb, .tooLarge),
            ("CRC too short", [12, 1, 2], .truncated),
            ("oversized datagram", [UInt8](repeating: 8, count: 65537), .tooLarge),
        ]
        for (name, bytes, reason) in cases {
            #expect(refusal { try Packet.decode(bytes) } == reason, "\(name)")
        }
        #expect(bomb.count < 65536)
    }

    @Test func encryptedPacketsOfEveryBadKind() throws {
        let keyring = try Keyring(primaryKey: Keys.k32)
        let security = Packet.Security(keyring: keyring)
        let sealed = try Packet.encode(Self.ping, keyring: keyring, nonce: Keys.nonce)
        #expect(refusal { try Packet.decode(Array(sealed.prefix(20)), security: security) } == .decryptFailed)
        #expect(refusal { try Packet.decode([2] + sealed.dropFirst(), security: security) } == .decryptFailed)
        #expect(refusal { try Packet.decode(Self.ping, security: security) } == .plaintextRefused)
        // Sealed garbage decrypts fine and is then refused for what it is.
        let sealedGarbage = try Packet.encode([99, 1, 2], keyring: keyring, nonce: Keys.nonce)
        #expect(refusal { try Packet.decode(sealedGarbage, security: security) } == .unknownType)
    }

    @Test func streamsOfEveryBadKind() throws {
        let keyring = try Keyring(primaryKey: Keys.k16)
        let encrypted = try StreamFrame.encode(.ping(Ping(seqNo: 1)), keyring: keyring, nonce: Keys.nonce)
        let cases: [(String, [UInt8], Keyring?, WireError.Reason)] = [
            ("unknown type", [99, 0x80], nil, .unknownType),
            ("alive on a stream", Alive().encoded(), nil, .unexpectedType),
            ("plaintext where encryption is required", Self.ping, keyring, .plaintextRefused),
            ("encrypted without a keyring", encrypted, nil, .decryptFailed),
            ("encrypted with the wrong key", encrypted, try Keyring(primaryKey: Keys.k32), .decryptFailed),
            ("declared encrypted length over 20 MiB", [10, 0x01, 0x40, 0x00, 0x01], keyring, .tooLarge),
            ("declared encrypted length too small to decrypt", [10, 0, 0, 0, 3, 1, 2, 3], keyring, .decryptFailed),
            ("encrypted length longer than the stream", Array(encrypted.dropLast()), keyring, .truncated),
            ("user message longer than 20 MiB", UserMsgHeader(userMsgLen: 30 << 20).encoded(), nil, .tooLarge),
            ("push/pull with a billion nodes", PushPullHeader(nodes: 1 << 30).encoded(), nil, .tooLarge),
            ("push/pull node count larger than what follows", PushPullHeader(nodes: 3).encoded(), nil, .truncated),
            ("negative node count", [6, 0x81, 0xA5] + utf8("Nodes") + [0xFF], nil, .malformed),
            ("node state out of range", PushPullHeader(nodes: 1).encoded() + [0x81, 0xA5] + utf8("State") + [0x04], nil, .malformed),
            ("compressed push/pull whose inflated body is truncated",
             Compress(buf: LZW.deflate(Array(StreamMessage.pushPull(StreamTests.exchange).encoded().dropLast()))).encoded(), nil, .truncated),
            ("compress inside compress",
             Compress(buf: LZW.deflate(Compress(buf: LZW.deflate(Self.ping)).encoded())).encoded(), nil, .unexpectedType),
            ("compression other than LZW", Compress(algo: 7, buf: [1]).encoded(), nil, .unsupportedCompression),
            ("empty inflated body", Compress(buf: LZW.deflate([])).encoded(), nil, .truncated),
        ]
        for (name, bytes, ring, reason) in cases {
            #expect(Self.streamRefusal(bytes, keyring: ring) == reason, "\(name)")
        }
    }

    @Test func streamLargerThanTheCapIsRefusedWhileFeeding() {
        var reader = StreamReader(maxSize: 1000)
        // The header fits, but header and payload together exceed the cap.
        #expect(reader.feed(UserMsgHeader(userMsgLen: 1000).encoded()) == .needMore)
        guard case .failed(let error) = reader.feed([UInt8](repeating: 0, count: 2000)) else {
            Issue.record("feeding past the cap must fail")
            return
        }
        #expect(error.reason == .tooLarge)
    }

    @Test func aCompleteMessageFollowedByMoreThanTheCapStillCompletes() {
        var reader = StreamReader(maxSize: 1000)
        let message = StreamMessage.user([1, 2, 3])
        let bytes = message.encoded()
        #expect(reader.feed(bytes + [UInt8](repeating: 0, count: 5000)) == .complete(message, consumed: bytes.count))
    }

    @Test func everyTruncationOfValidInputIsRefusedNotCrashed() throws {
        let packets = try [
            Compound.build(PacketTests.messages.map { $0.encoded() }),
            Packet.encode(PacketMessage.alive(PacketTests.alive).encoded(), compress: true, addCRC: true),
        ]
        for packet in packets {
            for length in 0..<packet.count {
                #expect(refusal { try Packet.decode(Array(packet.prefix(length))) } != nil, "prefix \(length)")
            }
        }
    }
}
