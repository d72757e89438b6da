// Bytes a real serf agent (Debian's serf, memberlist 0.2.2, built with Go's compress/lzw) sent to a probe
// of ours on loopback: a UDP reply to a ping and the TCP reply to a push/pull join. They pin our decoder to
// what Go actually writes, and our LZW deflate to Go's writer, byte for byte.
import Testing
@testable import MemberlistWire

@Suite("bytes captured from a serf agent")
struct SerfCapturedVectorTests {
    /// The reply to `ping {SeqNo: 77, Node: "s1"}`: LZW-compressed compound of the ack (with serf's network
    /// coordinate as payload) and a piggybacked alive about s1.
    static let udpReply = hexBytes(
        "0982a4416c676f00a3427566da00a7000f08006009000f01824e41099387cd9b3064b40110148090aa2064d4d49943a7" +
        "4d193774960118497264a92272e4bc91b3ec07be92234d212993e60c9a903ec8e1ab85681c9a78a3ac9419834924cc91" +
        "468f2685b9b46453924f911e953ab5d49432719cbc6942c010298c64e490fa3332c0aa246ec68491e3260c9d346fdc04" +
        "20d5a40c9d30a2fe0122a5954c195173629082b2924eb350a182ce71632a400101020a140808")

    /// The reply to a push/pull join: LZW-compressed (serf compresses every stream), one node, serf's state.
    static let tcpReply = hexBytes(
        "0982a4416c676f00a3427566da00c8000d0c22a5e44d1a37c34a397943a6cc9c00acaacc2923670a9d3074ca3029e3a6" +
        "9900258748052143460ea93f0000045895c4cd983072dc604cf3c64d00524dca5c14f50f10292761da94113527062928" +
        "6fe4d069162a54298b18cb001865658e1b53010a08105040ab215545ec70a4c3844a1aa1014c851d3b879b0000c0e2ca" +
        "9d4bb7aeddbb78f3eaddcbb7afdfbf80030b1e4cb8b0e1c388132b5eccb8b1e3bfa5ca9e2db372a3193a39db88a13807" +
        "92aa287528e6918c9615543a75e690761888680c000101")

    @Test func udpReplyDecodes() throws {
        #expect(Self.udpReply.count == 182)
        #expect(Self.udpReply[0] == MessageType.compress.rawValue)
        let messages = try Packet.decode(Self.udpReply)
        #expect(messages.count == 2)
        guard case .ackResp(let ack) = messages.first, case .alive(let alive) = messages.last else {
            Issue.record("expected an ack and an alive, got \(messages)")
            return
        }
        #expect(ack.seqNo == 77)
        #expect(!ack.payload.isEmpty)
        #expect(alive == Alive(incarnation: 1, node: "s1", addr: [127, 0, 0, 1], port: 41377, meta: [0xFF, 0x80], vsn: .serfAgent))
    }

    @Test func tcpReplyDecodesWhole() throws {
        #expect(Self.tcpReply.count == 215)
        guard case .pushPull(let exchange) = try StreamReader.decode(Self.tcpReply) else {
            Issue.record("expected a push/pull reply")
            return
        }
        #expect(exchange.join)
        #expect(exchange.nodes == [
            PushNodeState(name: "s1", addr: [127, 0, 0, 1], port: 41377, meta: [0xFF, 0x80], incarnation: 1, state: .alive, vsn: .serfAgent)
        ])
        #expect(exchange.userState.count == 586)
    }

    @Test func ourDeflateWritesGosBytes() throws {
        for captured in [Self.udpReply, Self.tcpReply] {
            let compress = try Compress(decoding: captured)
            let inflated = try LZW.inflate(compress.buf, maxOutput: 1 << 20)
            #expect(hexString(LZW.deflate(inflated)) == hexString(compress.buf))
            #expect(Compress(buf: LZW.deflate(inflated)).encoded() == captured)
        }
    }
}
