// The frame assembler: finds where a stream's message ends, read by read, in work linear in the stream.
import Testing
@testable import MemberlistWire

@Suite("stream frame assembler")
struct StreamFrameAssemblerTests {
    static let framings = [(false, false), (true, false), (false, true), (true, true)]

    /// Feeds `bytes` in pieces of the sizes `sizes` cycles through; returns each answer, in order.
    static func feed(_ assembler: inout StreamFrameAssembler, _ bytes: [UInt8], sizes: [Int]) -> [StreamFrameProgress] {
        var answers: [StreamFrameProgress] = []
        var offset = 0
        var turn = 0
        while offset < bytes.count {
            let size = min(sizes[turn % sizes.count], bytes.count - offset)
            answers.append(assembler.feed(Array(bytes[offset..<offset + size])))
            offset += size
            turn += 1
        }
        return answers
    }

    @Test func everyMessageInEveryFramingCompletesExactlyAtItsLastByteWhateverTheReadSizes() throws {
        let keyring = try Keyring(primaryKey: Keys.k32)
        for (compress, encrypted) in Self.framings {
            for message in StreamTests.messages {
                let bytes = try StreamFrame.encode(message, compress: compress, keyring: encrypted ? keyring : nil, nonce: Keys.nonce)
                for sizes in [[1], [2, 3, 5, 7], [bytes.count], [4096]] {
                    var assembler = StreamFrameAssembler(hasKeyring: encrypted)
                    let answers = Self.feed(&assembler, bytes, sizes: sizes)
                    #expect(answers.dropLast().allSatisfy { $0 == .needMore }, "\(message) in pieces \(sizes)")
                    #expect(answers.last == .complete(length: bytes.count), "\(message) in pieces \(sizes)")
                    // What it says is whole is what the decoder reads.
                    #expect(try StreamReader.decode(Array(assembler.bytes.prefix(bytes.count)), keyring: encrypted ? keyring : nil) == message)
                }
            }
        }
    }

    @Test func bytesAfterTheMessageAreNotPartOfIt() {
        let message = StreamMessage.ping(Ping(seqNo: 3, node: "n")).encoded()
        var assembler = StreamFrameAssembler(hasKeyring: false)
        #expect(assembler.feed(message + [0xFF, 0xFF, 0xFF]) == .complete(length: message.count))
        // The answer sticks and nothing more is kept.
        #expect(assembler.feed([1, 2, 3]) == .complete(length: message.count))
        #expect(assembler.bytes.count == message.count + 3)
    }

    /// The measure of the bug: re-parsing the buffer after every read looked at each byte once per later
    /// read. The assembler's count of bytes looked at must not depend on how the stream was cut up, and
    /// must stay within a small multiple of the stream's length.
    @Test func workIsLinearInTheStreamAndIndependentOfReadSizes() throws {
        let nodes = (0..<2000).map(sampleNode)
        let exchange = StreamMessage.pushPull(PushPull(join: false, nodes: nodes, userState: [UInt8](repeating: 7, count: 200_000)))
        let user = StreamMessage.user([UInt8](repeating: 9, count: 300_000))
        for message in [exchange, user] {
            let bytes = message.encoded()
            var works: [Int] = []
            for sizes in [[1], [3, 1, 4, 1, 5, 9, 2, 6], [65_536], [bytes.count]] {
                var assembler = StreamFrameAssembler(hasKeyring: false)
                #expect(Self.feed(&assembler, bytes, sizes: sizes).last == .complete(length: bytes.count))
                works.append(assembler.work)
            }
            #expect(Set(works).count == 1, "work \(works) for one stream cut up four ways")
            // Every byte is appended once; msgpack headers are looked at once more, and the small push/pull
            // or user header decoded once: well under twice the stream.
            #expect(works[0] <= 2 * bytes.count, "work \(works[0]) for \(bytes.count) bytes")
            #expect(works[0] >= bytes.count)
        }
    }

    @Test func evenAStreamThatIsAllHeaderIsLookedAtAtMostThreeTimesPerByte() {
        // A push/pull header padded with 20,000 unknown keys of small values: every byte is appended, walked
        // and decoded, and still within three looks whatever the read sizes.
        var writer = MsgpackWriter()
        writer.bytes.append(MessageType.pushPull.rawValue)
        writer.writeMapHeader(count: 20_001)
        for index in 0..<20_000 { writer.writeKey("k"); writer.writeInt(Int64(index % 100)) }
        writer.writeKey("Nodes"); writer.writeInt(0)
        let bytes = writer.bytes
        for sizes in [[1], [7, 3], [bytes.count]] {
            var assembler = StreamFrameAssembler(hasKeyring: false)
            #expect(Self.feed(&assembler, bytes, sizes: sizes).last == .complete(length: bytes.count))
            #expect(assembler.work <= 3 * bytes.count, "work \(assembler.work) for \(bytes.count) bytes in pieces \(sizes)")
            #expect(assembler.work > 2 * bytes.count, "this stream is the worst case: header bytes walked and decoded")
        }
    }

    @Test func aDeclaredLengthCostsNothingUntilItsBytesArrive() {
        // A user message declaring 19 MiB: the assembler holds what arrived and waits, without allocating ahead.
        var writer = MsgpackWriter()
        writer.bytes.append(MessageType.user.rawValue)
        UserMsgHeader(userMsgLen: 19 << 20).encodeBody(into: &writer)
        var assembler = StreamFrameAssembler(hasKeyring: false)
        #expect(assembler.feed(writer.bytes + [UInt8](repeating: 1, count: 1000)) == .needMore)
        #expect(assembler.bytes.count == writer.bytes.count + 1000)
        #expect(assembler.bytes.capacity < 1 << 20)
    }

    @Test func whatCanNeverBecomeValidIsRefusedAtOnce() throws {
        func refusal(_ bytes: [UInt8], keyring: Bool = false, verifyIncoming: Bool = true) -> WireError.Reason? {
            var assembler = StreamFrameAssembler(hasKeyring: keyring, verifyIncoming: verifyIncoming)
            guard case .invalid(let error) = assembler.feed(bytes) else { return nil }
            return error.reason
        }
        var oversized = MsgpackWriter()
        oversized.bytes.append(MessageType.user.rawValue)
        UserMsgHeader(userMsgLen: (20 << 20) + 1).encodeBody(into: &oversized)
        #expect(refusal(oversized.bytes) == .tooLarge, "a user message declaring over 20 MiB, before any payload")
        var pushPull = MsgpackWriter()
        pushPull.bytes.append(MessageType.pushPull.rawValue)
        PushPullHeader(nodes: 1, userStateLen: 21 << 20).encodeBody(into: &pushPull)
        #expect(refusal(pushPull.bytes) == .tooLarge)
        #expect(refusal([MessageType.ping.rawValue, 0xDF, 0xFF, 0xFF, 0xFF, 0xFF]) == .tooLarge, "a map of 4 billion entries")
        #expect(refusal([MessageType.ping.rawValue, 0xC6, 0x7F, 0xFF, 0xFF, 0xFF]) == .tooLarge, "a 2 GiB bin")
        #expect(refusal([MessageType.ping.rawValue, 0xC1]) == .malformed)
        #expect(refusal([200]) == .unknownType)
        #expect(refusal([MessageType.alive.rawValue]) == .unexpectedType)
        #expect(refusal([MessageType.encrypt.rawValue, 0, 0, 0, 1]) == .decryptFailed, "encrypted, no keyring")
        #expect(refusal([MessageType.encrypt.rawValue, 0x02, 0, 0, 0], keyring: true) == .tooLarge, "encrypted, 32 MiB declared")
        #expect(refusal(StreamMessage.user([1]).encoded(), keyring: true) == .plaintextRefused)
        #expect(refusal(StreamMessage.user([1]).encoded(), keyring: true, verifyIncoming: false) == nil)
    }

    @Test func aStreamStillIncompleteAtTheLimitIsRefusedAndNotKept() {
        var assembler = StreamFrameAssembler(hasKeyring: false, maxSize: 1000)
        var writer = MsgpackWriter()
        writer.bytes.append(MessageType.pushPull.rawValue)
        PushPullHeader(nodes: 999, userStateLen: 0).encodeBody(into: &writer)
        #expect(assembler.feed(writer.bytes) == .needMore)
        // 999 empty node maps take more than the 1000-byte limit with the header before them.
        var last = StreamFrameProgress.needMore
        for _ in 0..<2000 where last == .needMore { last = assembler.feed([0x80]) }
        guard case .invalid(let error) = last else {
            Issue.record("expected a refusal, got \(last)")
            return
        }
        #expect(error.reason == .tooLarge)
        #expect(assembler.bytes.count <= 1000 + StreamFrame.encryptHeaderSize)
    }
}
