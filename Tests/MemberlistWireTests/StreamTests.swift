// Streams: every request and reply, plain, compressed, encrypted, read whole and byte by byte.
import Testing
@testable import MemberlistWire

@Suite("stream framing and reader")
struct StreamTests {
    static let exchange = PushPull(join: true, nodes: (0..<40).map(sampleNode), userState: [UInt8](repeating: 0xAB, count: 3000))
    static let messages: [StreamMessage] = [
        .pushPull(exchange), .pushPull(PushPull()), .user(utf8("reliable")), .user([]),
        .ping(Ping(seqNo: 9, node: "n1")), .ackResp(AckResp(seqNo: 9)), .errResp(ErrResp(error: "boom")),
    ]

    @Test func plaintextLayoutIsHeaderStatesThenRawState() throws {
        let bytes = StreamMessage.pushPull(PushPull(join: false, nodes: [sampleNode(1)], userState: [7, 7])).encoded()
        var expected = PushPullHeader(nodes: 1, userStateLen: 2, join: false).encoded()
        var w = MsgpackWriter()
        sampleNode(1).encodeBody(into: &w)
        expected += w.bytes + [7, 7]
        #expect(bytes == expected)
        #expect(StreamMessage.user([1, 2]).encoded() == UserMsgHeader(userMsgLen: 2).encoded() + [1, 2])
    }

    @Test func everyMessageInEveryFraming() throws {
        let keyring = try Keyring(primaryKey: Keys.k24)
        for message in Self.messages {
            for compress in [false, true] {
                for encrypted in [false, true] {
                    let bytes = try StreamFrame.encode(message, compress: compress, keyring: encrypted ? keyring : nil, nonce: Keys.nonce)
                    #expect(try StreamReader.decode(bytes, keyring: encrypted ? keyring : nil) == message)
                    if encrypted {
                        let length = bytes.count - 5
                        #expect(Array(bytes.prefix(5)) == [10, UInt8(length >> 24), UInt8((length >> 16) & 0xFF), UInt8((length >> 8) & 0xFF), UInt8(length & 0xFF)])
                        #expect(bytes[5] == 1)
                    } else if compress {
                        #expect(bytes[0] == MessageType.compress.rawValue)
                    }
                }
            }
        }
    }

    @Test func fedByteByByteCompletesExactlyAtTheLastByte() throws {
        let keyring = try Keyring(primaryKey: Keys.k32)
        for (compress, encrypted) in [(false, false), (true, false), (false, true), (true, true)] {
            for message in Self.messages {
                let bytes = try StreamFrame.encode(message, compress: compress, keyring: encrypted ? keyring : nil, nonce: Keys.nonce)
                var reader = StreamReader(keyring: encrypted ? keyring : nil)
                for (index, byte) in bytes.enumerated() {
                    let result = reader.feed([byte])
                    if index < bytes.count - 1 {
                        #expect(result == .needMore, "byte \(index) of \(bytes.count)")
                        if result != .needMore { break }
                    } else {
                        #expect(result == .complete(message, consumed: bytes.count))
                    }
                }
            }
        }
    }

    @Test func trailingBytesAreNotConsumedAndTheResultSticks() throws {
        let bytes = StreamMessage.ping(Ping(seqNo: 4)).encoded()
        var reader = StreamReader()
        #expect(reader.feed(bytes + [0xEE, 0xEE]) == .complete(.ping(Ping(seqNo: 4)), consumed: bytes.count))
        #expect(reader.feed([1, 2, 3]) == .complete(.ping(Ping(seqNo: 4)), consumed: bytes.count))
    }

    @Test func largePushPullInChunks() throws {
        let big = PushPull(join: false, nodes: (0..<5000).map(sampleNode), userState: [UInt8](repeating: 1, count: 100_000))
        let bytes = StreamMessage.pushPull(big).encoded()
        var reader = StreamReader()
        var result = StreamReadResult.needMore
        var start = 0
        while start < bytes.count {
            let end = min(start + 1000, bytes.count)
            result = reader.feed(bytes[start..<end])
            start = end
            if end < bytes.count { #expect(result == .needMore) }
        }
        #expect(result == .complete(.pushPull(big), consumed: bytes.count))
    }

    @Test func finishMidMessageIsTruncated() {
        var reader = StreamReader()
        _ = reader.feed(StreamMessage.user([1, 2, 3]).encoded().dropLast())
        guard case .failed(let error) = reader.finish() else {
            Issue.record("an incomplete stream must fail when closed")
            return
        }
        #expect(error.reason == .truncated)
    }
}
