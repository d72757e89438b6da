// The UDP pipeline end to end: what one side encodes, the other decodes to the same typed messages.
import Testing
@testable import MemberlistWire

@Suite("packet pipeline")
struct PacketTests {
    static let alive = Alive(incarnation: 3, node: "n1", addr: [127, 0, 0, 1], port: 7946, meta: [0xFF, 0x80], vsn: .serfAgent)
    static let messages: [PacketMessage] = [
        .ping(Ping(seqNo: 1, node: "n2", sourceAddr: [127, 0, 0, 1], sourcePort: 7000, sourceNode: "n1")),
        .indirectPing(IndirectPingReq(seqNo: 2, target: [127, 0, 0, 2], port: 7001, node: "n3", nack: true)),
        .ackResp(AckResp(seqNo: 1, payload: [1, 2])), .nackResp(NackResp(seqNo: 2)),
        .suspect(Suspect(incarnation: 1, node: "n3", from: "n1")), .alive(alive),
        .dead(Dead(incarnation: 2, node: "n4", from: "n4")), .user([0x50, 1, 2, 3]), .user([]),
    ]

    @Test func everyMessageAloneInEveryEnvelopeCombination() throws {
        let keyring = try Keyring(primaryKey: Keys.k32)
        for message in Self.messages {
            for compress in [false, true] {
                for crc in [false, true] {
                    for encrypted in [false, true] {
                        let packet = try Packet.encode(
                            message.encoded(), compress: compress, addCRC: crc, keyring: encrypted ? keyring : nil, nonce: Keys.nonce)
                        let security = Packet.Security(keyring: encrypted ? keyring : nil)
                        #expect(try Packet.decode(packet, security: security) == [message])
                    }
                }
            }
        }
    }

    @Test func compoundOfAllMessagesWithForcedCompression() throws {
        let compound = try Compound.build(Self.messages.map { $0.encoded() })
        #expect(try Packet.decode(compound) == Self.messages)
        // Compression only when it shrinks: a compound of repetitive messages shrinks, so it is wrapped.
        let repetitive = try Compound.build([[UInt8]](repeating: PacketMessage.alive(Self.alive).encoded(), count: 20))
        let packet = try Packet.encode(repetitive, compress: true, addCRC: true)
        #expect(packet[0] == MessageType.hasCRC.rawValue)
        #expect(packet[5] == MessageType.compress.rawValue)
        #expect(packet.count < repetitive.count)
        #expect(try Packet.decode(packet).count == 20)
        // A tiny message does not shrink, so it is sent as it is.
        let tiny = PacketMessage.nackResp(NackResp(seqNo: 1)).encoded()
        #expect(try Packet.encode(tiny, compress: true) == tiny)
    }

    @Test func compoundAndCompressNest() throws {
        let inner = try Compound.build([Self.messages[0].encoded(), Self.messages[1].encoded()])
        let compressedInner = Compress(buf: LZW.deflate(inner)).encoded()
        let outer = try Compound.build([compressedInner, Self.messages[4].encoded()])
        let wrapped = Compress(buf: LZW.deflate(outer)).encoded()
        #expect(try Packet.decode(wrapped) == [Self.messages[0], Self.messages[1], Self.messages[4]])
    }

    @Test func encryptedClusterRefusesPlaintextUnlessVerificationIsOff() throws {
        let keyring = try Keyring(primaryKey: Keys.k16)
        let plain = Self.messages[0].encoded()
        #expect(refusal { try Packet.decode(plain, security: .init(keyring: keyring)) } == .plaintextRefused)
        #expect(try Packet.decode(plain, security: .init(keyring: keyring, verifyIncoming: false)) == [Self.messages[0]])
        let wrongKey = try Packet.encode(plain, keyring: try Keyring(primaryKey: Keys.k32), nonce: Keys.nonce)
        #expect(refusal { try Packet.decode(wrongKey, security: .init(keyring: keyring)) } == .decryptFailed)
    }

    @Test func corruptedCRCIsRefused() throws {
        var packet = try Packet.encode(Self.messages[5].encoded(), addCRC: true)
        packet[packet.count - 1] ^= 0xFF
        #expect(refusal { try Packet.decode(packet) } == .badCRC)
    }
}
