// The exact bytes the Go encoder writes for memberlist messages (from the protocol notes, checked
// against real serf): our encoder must produce them and our decoder must read them back.
import Testing
@testable import MemberlistWire

@Suite("Go encoder vectors")
struct GoEncoderVectorTests {
    @Test func ping() throws {
        let expected = hexBytes("00 82 a4 4e 6f 64 65 a1 61 a5 53 65 71 4e 6f 01")
        #expect(hexString(Ping(seqNo: 1, node: "a").encoded()) == hexString(expected))
        #expect(try Ping(decoding: expected) == Ping(seqNo: 1, node: "a"))
    }

    @Test func ackRespWithNilPayload() throws {
        let expected = hexBytes("02 82 a7 50 61 79 6c 6f 61 64 c0 a5 53 65 71 4e 6f 01")
        #expect(hexString(AckResp(seqNo: 1).encoded()) == hexString(expected))
        #expect(try AckResp(decoding: expected) == AckResp(seqNo: 1, payload: []))
    }

    @Test func suspect() throws {
        let expected = hexBytes(
            "03 83 a4 46 72 6f 6d a1 62 ab 49 6e 63 61 72 6e 61 74 69 6f 6e 01 a4 4e 6f 64 65 a1 61")
        let message = Suspect(incarnation: 1, node: "a", from: "b")
        #expect(hexString(message.encoded()) == hexString(expected))
        #expect(try Suspect(decoding: expected) == message)
    }

    @Test func pushPullHeader() throws {
        let expected = hexBytes("06 83 a4 4a 6f 69 6e c3 a5 4e 6f 64 65 73 01 ac 55 73 65 72 53 74 61 74 65 4c 65 6e 00")
        let header = PushPullHeader(nodes: 1, userStateLen: 0, join: true)
        #expect(hexString(header.encoded()) == hexString(expected))
        #expect(try PushPullHeader(decoding: expected) == header)
    }

    @Test func aliveWithLongNameAndSerfVsn() throws {
        let name = "node-with-a-name-of-thirty-eight-bytes"
        #expect(name.utf8.count == 38)
        let expected =
            hexBytes("04 86 a4 41 64 64 72 a4 7f 00 00 01 ab 49 6e 63 61 72 6e 61 74 69 6f 6e 01")
            + hexBytes("a4 4d 65 74 61 a1 78 a4 4e 6f 64 65 da 00 26") + utf8(name)
            + hexBytes("a4 50 6f 72 74 cd 1f 0a a3 56 73 6e a6 01 05 02 02 05 04")
        let alive = Alive(incarnation: 1, node: name, addr: [127, 0, 0, 1], port: 7946, meta: utf8("x"), vsn: .serfLibrary)
        #expect(hexString(alive.encoded()) == hexString(expected))
        #expect(try Alive(decoding: expected) == alive)
    }

    @Test func serfAgentVsnIsWrittenAsSixByteRawString() {
        var w = MsgpackWriter()
        w.writeRawBytes(Vsn.serfAgent.bytes)
        #expect(hexString(w.bytes) == "a6 01 05 02 02 05 05")
    }

    @Test func emptySerfTagsAreFF80() throws {
        #expect(try SerfTags.encode([:]) == [0xFF, 0x80])
        #expect(try SerfTags.decode([0xFF, 0x80]) == [:])
    }
}
