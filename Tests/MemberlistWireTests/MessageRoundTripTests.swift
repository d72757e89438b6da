// Every message kind survives encode then decode, including the omitempty fields and odd values.
import Testing
@testable import MemberlistWire

@Suite("message round trips")
struct MessageRoundTripTests {
    static let vsn = Vsn(protocolMin: 1, protocolMax: 5, protocolCurrent: 2, delegateMin: 2, delegateMax: 5, delegateCurrent: 4)

    @Test func ping() throws {
        for m in [
            Ping(), Ping(seqNo: .max, node: "n"),
            Ping(seqNo: 77, node: "n", sourceAddr: [10, 0, 0, 1], sourcePort: 7946, sourceNode: "me"),
        ] {
            #expect(try Ping(decoding: m.encoded()) == m)
        }
        // The omitempty fields are absent when empty: a map of two entries.
        #expect(Ping(seqNo: 1, node: "a").encoded()[1] == 0x82)
        #expect(Ping(seqNo: 1, node: "a", sourceAddr: [1, 2, 3, 4], sourcePort: 1, sourceNode: "b").encoded()[1] == 0x85)
    }

    @Test func indirectPing() throws {
        let m = IndirectPingReq(
            seqNo: 9, target: [0xFE, 0x80] + [UInt8](repeating: 1, count: 14), port: 65535, node: "t", nack: true,
            sourceAddr: [127, 0, 0, 1], sourcePort: 8000, sourceNode: "s")
        #expect(try IndirectPingReq(decoding: m.encoded()) == m)
        #expect(try IndirectPingReq(decoding: IndirectPingReq().encoded()) == IndirectPingReq())
    }

    @Test func ackNackErr() throws {
        let ack = AckResp(seqNo: 3, payload: [UInt8](repeating: 7, count: 300))
        #expect(try AckResp(decoding: ack.encoded()) == ack)
        #expect(try NackResp(decoding: NackResp(seqNo: 123_456).encoded()) == NackResp(seqNo: 123_456))
        #expect(try ErrResp(decoding: ErrResp(error: "Remote state is encrypted").encoded()).error == "Remote state is encrypted")
    }

    @Test func suspectAliveDead() throws {
        let suspect = Suspect(incarnation: 5, node: "x", from: "y")
        #expect(try Suspect(decoding: suspect.encoded()) == suspect)
        let dead = Dead(incarnation: 6, node: "x", from: "x")
        #expect(try Dead(decoding: dead.encoded()) == dead)
        #expect(dead.isLeave)
        let alive = Alive(incarnation: 1 << 31, node: "ünïcode-node", addr: [UInt8](repeating: 0, count: 15) + [1], port: 1, meta: try SerfTags.encode(["role": "web", "dc": "eu"]), vsn: Self.vsn)
        #expect(try Alive(decoding: alive.encoded()) == alive)
    }

    @Test func pushPullPiecesAndWholeExchange() throws {
        let header = PushPullHeader(nodes: 300, userStateLen: 70000, join: false)
        #expect(try PushPullHeader(decoding: header.encoded()) == header)
        #expect(try UserMsgHeader(decoding: UserMsgHeader(userMsgLen: 65536).encoded()) == UserMsgHeader(userMsgLen: 65536))
        let compress = Compress(algo: 0, buf: [1, 2, 3])
        #expect(try Compress(decoding: compress.encoded()) == compress)

        for state in PushNodeState.State.allCases {
            let node = PushNodeState(name: "n-\(state)", addr: [1, 2, 3, 4], port: 7946, meta: [0xFF, 0x80], incarnation: 4, state: state, vsn: Self.vsn)
            var w = MsgpackWriter()
            node.encodeBody(into: &w)
            var r = MsgpackReader(w.bytes)
            #expect(try PushNodeState(decodingBody: &r) == node)
            #expect(r.isAtEnd)
        }
    }

    @Test func serfTags() throws {
        let tags = ["role": "db", "dc": "eu-1", "plumtree": "1", "": ""]
        let meta = try SerfTags.encode(tags)
        #expect(meta.first == 0xFF)
        #expect(try SerfTags.decode(meta) == tags)
        // Keys are written sorted, so the bytes do not depend on dictionary order.
        #expect(try SerfTags.encode(["b": "2", "a": "1"]) == [0xFF, 0x82, 0xA1, 0x61, 0xA1, 0x31, 0xA1, 0x62, 0xA1, 0x32])
        // Meta without the magic byte is an old-style role.
        #expect(try SerfTags.decode(utf8("web")) == ["role": "web"])
        #expect(try SerfTags.decode([]) == ["role": ""])
    }

    @Test func serfTagsOverTheLimitAreRefused() {
        let big = ["k": String(repeating: "v", count: 600)]
        #expect(refusal { try SerfTags.encode(big) } == .tooLarge)
        #expect(refusal { try SerfTags.decode([0xFF] + [UInt8](repeating: 0x80, count: 600)) } == .tooLarge)
        #expect(refusal { try SerfTags.decode([0xFF, 0x81, 0xA1, 0x61]) } == .truncated)
    }

    @Test func vsnBytes() {
        #expect(Vsn.serfAgent.bytes == [1, 5, 2, 2, 5, 5])
        #expect(Vsn(bytes: [1, 2, 3]) == nil)
        #expect(Vsn.serfAgent.hasValidProtocolRange)
        #expect(!Vsn.absent.hasValidProtocolRange)
        #expect(!Vsn(bytes: [3, 2, 2, 2, 5, 5])!.hasValidProtocolRange)
    }
}
