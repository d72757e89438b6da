// serf's leave intent as it rides in a memberlist user message.
import Testing
@testable import MemberlistWire

@Suite("serf leave intent")
struct SerfLeaveTests {
    @Test func layoutAndRoundTrip() throws {
        let leave = SerfLeave(ltime: 300, node: "a", prune: false)
        let expected = [UInt8(0), 0x83, 0xA5] + utf8("LTime") + [0xCD, 0x01, 0x2C] + [0xA4] + utf8("Node") + [0xA1, 0x61]
            + [0xA5] + utf8("Prune") + [0xC2]
        #expect(leave.encoded() == expected)
        #expect(try SerfLeave(decoding: expected) == leave)
        // Carried as a memberlist user message: [8][serf type][map].
        let packet = PacketMessage.user(leave.encoded()).encoded()
        #expect(packet.prefix(2) == [8, 0])
        guard case .user(let payload)? = try Packet.decode(packet).first else {
            Issue.record("a user message must decode as one")
            return
        }
        #expect(try SerfLeave(decoding: payload) == leave)
    }

    @Test func olderSerfWithoutPruneAndOtherSerfTypes() throws {
        let withoutPrune = [UInt8(0), 0x82, 0xA5] + utf8("LTime") + [0x05] + [0xA4] + utf8("Node") + [0xA1, 0x62]
        #expect(try SerfLeave(decoding: withoutPrune) == SerfLeave(ltime: 5, node: "b"))
        #expect(refusal { try SerfLeave(decoding: [3, 0x80]) } == .unexpectedType)
        #expect(refusal { try SerfLeave(decoding: [0, 0x81]) } == .truncated)
    }
}
