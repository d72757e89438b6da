// The cluster label header (memberlist label.go) on packets and streams, its place in the associated data
// of encryption, and every refusal it brings. The vectors are the bytes memberlist writes, built by hand
// from its source; the AES-GCM parts were computed apart from this code (Python `cryptography`, AESGCM),
// key 16 x 0x11, nonce 01...0c, over the Go-encoded ping `00 82 a4 4e 6f 64 65 a1 61 a5 53 65 71 4e 6f 01`.
import Testing
@testable import MemberlistWire

@Suite("cluster label")
struct LabelTests {
    static let ping = hexBytes("00 82 a4 4e 6f 64 65 a1 61 a5 53 65 71 4e 6f 01")
    static let a = try! LabelPolicy(label: utf8("a"))

    // MARK: Vectors

    @Test func plaintextPacketIsPrefixedWithTheHeader() throws {
        // labelWrappedTransport.WriteToAddress -> AddLabelHeaderToPacket -> makeLabelHeader: [244][len][label].
        let expected = hexBytes("f4 01 61") + Self.ping
        #expect(hexString(try Packet.encode(Self.ping, label: utf8("a"))) == hexString(expected))
        #expect(try Packet.decode(expected, label: Self.a) == [.ping(Ping(seqNo: 1, node: "a"))])
        // No label, no header (AddLabelHeaderToPacket returns the buffer as is).
        #expect(try Packet.encode(Self.ping) == Self.ping)
    }

    @Test func longestLabelTakesALengthByteOf255() throws {
        let label = [UInt8](repeating: 0x7A, count: 255)
        let packet = try Packet.encode(Self.ping, label: label)
        #expect(Array(packet.prefix(2)) == [0xF4, 0xFF])
        #expect(Array(packet[2..<257]) == label)
        #expect(Array(packet[257...]) == Self.ping)
        #expect(try Packet.decode(packet, label: try! LabelPolicy(label: label)).count == 1)
    }

    @Test func encryptedPacketAuthenticatesTheLabel() throws {
        // rawSendMsgPacket: encryptPayload(vsn 1, key, msg, []byte(Label)) = [1][nonce][ciphertext][tag],
        // then the transport puts the header in front. ingestPacket decrypts with the label as authData.
        let vector = hexBytes("""
            f4 01 61 01 01 02 03 04 05 06 07 08 09 0a 0b 0c 7d af 2e fb cb 1e 00 c1 31 f7 56 bb ff d3 c2 c5
            e2 c9 2b bf 53 f0 c7 75 72 92 cb 3c 86 9a 79 f9
            """)
        let keyring = try Keyring(primaryKey: Keys.k16)
        let security = Packet.Security(keyring: keyring)
        #expect(hexString(try Packet.encode(Self.ping, keyring: keyring, nonce: Keys.nonce, label: utf8("a"))) == hexString(vector))
        #expect(try Packet.decode(vector, security: security, label: Self.a) == [.ping(Ping(seqNo: 1, node: "a"))])
        // The same sealed body under another header: the label check passes, the tag does not.
        let relabelled = hexBytes("f4 01 62") + Array(vector[3...])
        #expect(refusal { try Packet.decode(relabelled, security: security, label: try! LabelPolicy(label: utf8("b"))) } == .decryptFailed)
        // Without its header, read by an unlabelled node: the empty associated data does not authenticate it.
        #expect(refusal { try Packet.decode(Array(vector[3...]), security: security) } == .decryptFailed)
        // A node of another label refuses it before trying to decrypt.
        #expect(refusal { try Packet.decode(vector, security: security, label: try! LabelPolicy(label: utf8("b"))) } == .labelMismatch)
    }

    @Test func encryptedStreamAuthenticatesHeaderAndLabel() throws {
        // encryptLocalState: [10][u32 length], sealed with authData = those 5 bytes + label; the dialer's
        // transport writes the label header first (AddLabelHeaderToStream), the answering side does not.
        let reply = hexBytes("""
            0a 00 00 00 2d 01 01 02 03 04 05 06 07 08 09 0a 0b 0c 7d af 2e fb cb 1e 00 c1 31 f7 56 bb ff d3 c2 c5
            cb c2 08 da 50 5d 0e 3a 09 00 ee 14 63 24 4b aa
            """)
        let request = hexBytes("f4 01 61") + reply
        let keyring = try Keyring(primaryKey: Keys.k16)
        let sealed = try StreamFrame.encode(.ping(Ping(seqNo: 1, node: "a")), keyring: keyring, nonce: Keys.nonce, label: utf8("a"))
        #expect(hexString(sealed) == hexString(reply))
        #expect(LabelHeader.wrap(sealed, label: utf8("a")) == request)
        let expected = StreamMessage.ping(Ping(seqNo: 1, node: "a"))
        #expect(try StreamReader.decode(request, keyring: keyring, label: Self.a, direction: .request) == expected)
        #expect(try StreamReader.decode(reply, keyring: keyring, label: Self.a, direction: .reply) == expected)
        // Read by an unlabelled node (reply direction): the label is missing from the associated data.
        #expect(refusal { try StreamReader.decode(reply, keyring: keyring, direction: .reply) } == .decryptFailed)
        // A reply never carries the header: with a keyring, what does not start with 10 is plaintext
        // (memberlist readStream: "encryption is configured but remote state is not encrypted"); without
        // one, 244 is not a message type.
        #expect(refusal { try StreamReader.decode(request, keyring: keyring, label: Self.a, direction: .reply) } == .plaintextRefused)
        let plainRequest = LabelHeader.wrap(StreamMessage.ping(Ping(seqNo: 1)).encoded(), label: utf8("a"))
        #expect(refusal { try StreamReader.decode(plainRequest, label: Self.a, direction: .reply) } == .unknownType)
        var replyAssembler = StreamFrameAssembler(hasKeyring: false, label: Self.a, direction: .reply)
        #expect(replyAssembler.feed(plainRequest) == .invalid(WireError(.unknownType, "stream message type 244")))
        // A request without the header, to a labelled node.
        #expect(refusal { try StreamReader.decode(reply, keyring: keyring, label: Self.a, direction: .request) } == .labelMismatch)
    }

    // MARK: Refusals

    @Test func packetRefusals() {
        let cases: [(String, [UInt8], LabelPolicy, WireError.Reason?)] = [
            ("empty label header", [0xF4, 0x00] + Self.ping, Self.a, .malformed),
            ("type byte alone", [0xF4], Self.a, .truncated),
            ("label cut short", [0xF4, 0x05, 0x61], Self.a, .truncated),
            ("header with nothing after it", [0xF4, 0x01, 0x61], Self.a, .truncated),
            ("another label", hexBytes("f4 01 62") + Self.ping, Self.a, .labelMismatch),
            ("a labelled packet to an unlabelled node", hexBytes("f4 01 61") + Self.ping, .none, .labelMismatch),
            ("an unlabelled packet to a labelled node", Self.ping, Self.a, .labelMismatch),
            ("a longer label with ours as prefix", hexBytes("f4 02 61 61") + Self.ping, Self.a, .labelMismatch),
            ("skip: unlabelled is taken as ours", Self.ping, try! LabelPolicy(label: utf8("a"), skipInboundCheck: true), nil),
            ("skip: even our own header is a double label", hexBytes("f4 01 61") + Self.ping,
             try! LabelPolicy(label: utf8("a"), skipInboundCheck: true), .labelMismatch),
            ("skip without a label: unlabelled accepted", Self.ping, try! LabelPolicy(skipInboundCheck: true), nil),
        ]
        for (name, bytes, policy, reason) in cases {
            #expect(refusal { try Packet.decode(bytes, label: policy) } == reason, "\(name)")
        }
    }

    @Test func mismatchNamesTheRemoteLabel() {
        do {
            _ = try Packet.decode(hexBytes("f4 03 6f 74 68") + Self.ping, label: Self.a)
            Issue.record("a foreign label must be refused")
        } catch {
            #expect(error.reason == .labelMismatch)
            #expect(error.remoteLabel == utf8("oth"))
            #expect(error.detail.contains("\"oth\"") && error.detail.contains("\"a\""))
        }
        do {
            _ = try Packet.decode(Self.ping, label: Self.a)
            Issue.record("an unlabelled packet must be refused by a labelled node")
        } catch {
            #expect(error.remoteLabel == [])
        }
    }

    @Test func streamRefusalsAreFoundAsSoonAsTheHeaderIsWhole() {
        let cases: [(String, [UInt8], LabelPolicy, WireError.Reason)] = [
            ("another label", hexBytes("f4 01 62"), Self.a, .labelMismatch),
            ("labelled to an unlabelled node", hexBytes("f4 01 61"), .none, .labelMismatch),
            ("empty header", [0xF4, 0x00], Self.a, .malformed),
            ("skip: a header at all", hexBytes("f4 01 61"), try! LabelPolicy(label: utf8("a"), skipInboundCheck: true), .labelMismatch),
            ("unlabelled to a labelled node", [MessageType.ping.rawValue], Self.a, .labelMismatch),
        ]
        for (name, bytes, policy, reason) in cases {
            var reader = StreamReader(label: policy)
            guard case .failed(let error) = reader.feed(bytes) else {
                Issue.record("\(name): the reader must refuse at once")
                continue
            }
            #expect(error.reason == reason, "\(name)")
            var assembler = StreamFrameAssembler(hasKeyring: false, label: policy)
            guard case .invalid(let judged) = assembler.feed(bytes) else {
                Issue.record("\(name): the assembler must refuse at once")
                continue
            }
            #expect(judged.reason == reason, "\(name)")
        }
        // A header cut short waits for more, and is truncated if the stream ends there.
        var reader = StreamReader(label: Self.a)
        #expect(reader.feed([0xF4, 0x03, 0x61]) == .needMore)
        #expect(reader.finish() == .failed(WireError(.truncated, "stream closed after 3 bytes, mid-message")))
    }

    // MARK: Streams read in pieces

    @Test func labelledRequestsReadByteByByte() throws {
        let keyring = try Keyring(primaryKey: Keys.k32)
        let messages: [StreamMessage] = [
            .ping(Ping(seqNo: 7, node: "n")),
            .user([UInt8](repeating: 0x42, count: 300)),
            .pushPull(PushPull(join: true, nodes: (0..<3).map(sampleNode), userState: [1, 2])),
        ]
        let label = [UInt8](repeating: 0x6C, count: 200)
        let policy = try! LabelPolicy(label: label)
        for message in messages {
            for ring in [nil, keyring] {
                let sealed = try StreamFrame.encode(message, keyring: ring, nonce: Keys.nonce, label: label)
                let request = LabelHeader.wrap(sealed, label: label)
                var reader = StreamReader(keyring: ring, label: policy)
                var assembler = StreamFrameAssembler(hasKeyring: ring != nil, label: policy)
                var read: StreamReadResult = .needMore
                var framed: StreamFrameProgress = .needMore
                for byte in request + [0xEE] {
                    if read == .needMore { read = reader.feed([byte]) }
                    if framed == .needMore { framed = assembler.feed([byte]) }
                }
                #expect(read == .complete(message, consumed: request.count))
                #expect(framed == .complete(length: request.count))
                // Each byte is looked at a bounded number of times, the header's too.
                #expect(assembler.work <= 3 * assembler.bytes.count)
            }
        }
    }

    @Test func sizeLimitLeavesRoomForTheHeaderOnly() {
        // A user message filling the 1000-byte limit still fits behind a 255-byte label...
        let label = [UInt8](repeating: 0x6C, count: 255)
        let header = UserMsgHeader(userMsgLen: 0).encoded().count
        let payload = [UInt8](repeating: 1, count: 1000 - header - 2)
        let request = LabelHeader.wrap(StreamMessage.user(payload).encoded(), label: label)
        var assembler = StreamFrameAssembler(hasKeyring: false, maxSize: 1000, label: try! LabelPolicy(label: label))
        #expect(assembler.feed(request) == .complete(length: request.count))
        var reader = StreamReader(maxSize: 1000, label: try! LabelPolicy(label: label))
        #expect(reader.feed(request) == .complete(.user(payload), consumed: request.count))
        // ...but the label does not lend its room to the message: 300 more bytes are too many.
        let over = LabelHeader.wrap(StreamMessage.user(payload + [UInt8](repeating: 1, count: 300)).encoded(), label: utf8("a"))
        var small = StreamFrameAssembler(hasKeyring: false, maxSize: 1000, label: Self.a)
        guard case .invalid(let error) = small.feed(over) else {
            Issue.record("a message over the limit must be refused")
            return
        }
        #expect(error.reason == .tooLarge)
        #expect(small.bytes.count <= 1000 + StreamFrame.encryptHeaderSize + 3)
    }

    @Test func aLabelOver255BytesIsRefusedNotTrapped() {
        let long = [UInt8](repeating: 0x6C, count: 256)
        #expect(refusal { try LabelPolicy(label: long) } == .tooLarge)
        #expect(refusal { try Packet.encode(Self.ping, label: long) } == .tooLarge)
    }

    @Test func policyHeaderAndQuoting() {
        #expect(LabelPolicy.none.header.isEmpty)
        #expect(Self.a.header == [0xF4, 0x01, 0x61])
        #expect(LabelPolicy.quoted([]) == "none")
        #expect(LabelPolicy.quoted(utf8("x\ny")) == "\"x\\ny\"")
    }
}
