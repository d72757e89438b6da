import Plumtree
import ProtocolSupport
import Testing

@Suite("Plumtree wire format and envelope")
struct WireFormatTests {
    static let id = MessageID(high: 0x0102_0304_0506_0708, low: 0x090a_0b0c_0d0e_0f10)

    static let samples: [PlumtreeMessage] = [
        .gossip(.init(id: id, round: 3, origin: "node-7", payload: Array("hello".utf8))),
        .gossip(.init(id: id, round: 1, origin: "ñode", isRepair: true, traceContext: [1, 2, 3], payload: [])),
        .gossip(.init(id: id, round: 2, origin: "n", isRepair: true, age: .milliseconds(86_400_123), payload: [7])),
        .ihave([.init(id: id, round: 2), .init(id: MessageID(high: 9, low: 9), round: 65_535)]),
        .graft(id: id, round: 4),
        .graft(id: nil, round: 0),
        .prune,
        .neighbor(eager: true),
        .neighbor(eager: false),
        .disconnect,
        .neighborAccepted,
        .digest([id, MessageID(high: 1, low: 2)]),
        .pull([id]),
    ]

    @Test func everyMessageRoundTrips() throws {
        for message in Self.samples {
            let decoded = try PlumtreeMessage(decoding: message.encoded())
            #expect(decoded == message)
        }
    }

    @Test func gossipLayoutIsAsDocumented() {
        let bytes = PlumtreeMessage.gossip(.init(id: Self.id, round: 3, origin: "ab", traceContext: [0xee], payload: [0x41, 0x42])).encoded()
        let expected: [UInt8] = [1] + Array(1...16) + [0, 3, 0x01, 2, 0x61, 0x62, 0, 1, 0xee, 0, 0, 0, 2, 0x41, 0x42]
        #expect(bytes == expected)
    }

    @Test func repairGossipCarriesItsAgeInMilliseconds() throws {
        let bytes = PlumtreeMessage.gossip(.init(id: Self.id, round: 3, origin: "ab", isRepair: true, age: .milliseconds(70_000), payload: [0x41])).encoded()
        let expected: [UInt8] = [1] + Array(1...16) + [0, 3, 0x02, 2, 0x61, 0x62, 0, 1, 0x11, 0x70, 0, 0, 0, 1, 0x41]
        #expect(bytes == expected)
        // A plain Gossip carries no age, and one given is dropped.
        let plain = PlumtreeMessage.Gossip(id: Self.id, round: 3, origin: "ab", age: .seconds(5), payload: [])
        #expect(plain.age == .zero)
        let ancient = PlumtreeMessage.gossip(.init(id: Self.id, round: 3, origin: "ab", isRepair: true, age: .seconds(100 * 86_400), payload: [])).encoded()
        #expect(Array(ancient[23..<27]) == [0xff, 0xff, 0xff, 0xff], "an age beyond 49 days is clamped")
    }

    @Test func envelopeCarriesSenderAndMessage() throws {
        let body = PlumtreeMessage.prune.encoded()
        let envelope = try #require(PlumtreeEnvelope(sender: "node-1", message: body[...]).encoded())
        #expect(Array(envelope.prefix(9)) == [0x50, 1, 6] + Array("node-1".utf8))
        #expect(PlumtreeEnvelope.isPlumtree(envelope))
        #expect(!PlumtreeEnvelope.isPlumtree([3, 0, 0]), "serf user messages start with a small message type")
        let decoded = try PlumtreeEnvelope(decoding: envelope)
        #expect(decoded.sender == "node-1")
        #expect(Array(decoded.message) == body)
        #expect(PlumtreeEnvelope(sender: "", message: body[...]).encoded() == nil)
        #expect(PlumtreeEnvelope(sender: String(repeating: "x", count: 256), message: body[...]).encoded() == nil)
    }

    @Test func malformedBytesAreRefusedWithTheReason() {
        let gossip = PlumtreeMessage.gossip(.init(id: Self.id, round: 3, origin: "n", payload: [1, 2, 3])).encoded()
        let cases: [([UInt8], String)] = [
            ([], "truncated"),
            ([99], "unknown_type"),
            ([2, 0], "invalid_count"),
            ([2, 65] + Array(repeating: 0, count: 65 * 18), "invalid_count"),
            ([2, 3] + Array(repeating: 0, count: 18), "truncated"),
            ([3, 2, 0, 0], "invalid_flags"),
            ([5, 7], "invalid_flags"),
            ([4, 0], "trailing_bytes"),
            ([9, 0], "trailing_bytes"),
            ([7, 0xff, 0xff], "invalid_count"),
            ([8, 0, 200] + Array(repeating: 0, count: 16), "truncated"),
            (Array(gossip.dropLast()), "truncated"),
            (gossip + [0], "trailing_bytes"),
            ([1] + Array(repeating: 0, count: 16) + [0, 0, 0, 1, 0x6e, 0, 0, 0, 0], "invalid_round"),
            ([1] + Array(repeating: 0, count: 16) + [0, 1, 0x80, 1, 0x6e, 0, 0, 0, 0], "invalid_flags"),
            ([1] + Array(repeating: 0, count: 16) + [0, 1, 0, 0, 0, 0, 0, 0], "invalid_origin"),
            ([1] + Array(repeating: 0, count: 16) + [0, 1, 0, 1, 0xff, 0, 0, 0, 0], "invalid_origin"),
            ([1] + Array(repeating: 0, count: 16) + [0, 1, 0, 1, 0x6e, 0xff, 0xff, 0xff, 0xff], "too_large"),
            ([1] + Array(repeating: 0, count: 16) + [0, 1, 1, 1, 0x6e, 0xff, 0xff], "too_large"),
        ]
        for (bytes, reason) in cases {
            #expect(throws: PlumtreeDecodeError.self) { _ = try PlumtreeMessage(decoding: bytes) }
            do {
                _ = try PlumtreeMessage(decoding: bytes)
            } catch {
                #expect(error.reason == reason, "\(bytes.prefix(8)) refused as \(error.reason), expected \(reason): \(error)")
            }
        }
        let envelopes: [([UInt8], String)] = [
            ([], "not_plumtree"), ([0x51, 1, 1, 0x61, 4], "not_plumtree"), ([0x50, 3, 1, 0x61, 4], "unsupported_version"), ([0x50, 0, 1, 0x61, 4], "unsupported_version"),
            ([0x50, 1], "truncated"), ([0x50, 1, 5, 0x61], "truncated"), ([0x50, 1, 0, 4], "invalid_sender"),
            ([0x50, 1, 1, 0xc3, 4], "invalid_sender"),
        ]
        for (bytes, reason) in envelopes {
            do {
                _ = try PlumtreeEnvelope(decoding: bytes)
                Issue.record("\(bytes) accepted")
            } catch {
                #expect(error.reason == reason)
            }
        }
    }

    /// Random corruptions of valid messages never crash the decoder; whatever decodes re-encodes stably.
    @Test func corruptedMessagesNeverCrashTheDecoder() throws {
        var random = SeededRandom(seed: 99)
        var decodedCount = 0
        for round in 0..<20_000 {
            var bytes = Self.samples[round % Self.samples.count].encoded()
            switch random.next() % 3 {
            case 0: bytes[Int(random.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: random.next())
            case 1: bytes = Array(bytes.prefix(Int(random.next() % UInt64(bytes.count + 1))))
            default: bytes.append(contentsOf: (0..<Int(random.next() % 8)).map { _ in UInt8(truncatingIfNeeded: random.next()) })
            }
            if let message = try? PlumtreeMessage(decoding: bytes) {
                decodedCount += 1
                #expect(try PlumtreeMessage(decoding: message.encoded()) == message)
            }
        }
        #expect(decodedCount > 0 && decodedCount < 20_000)
    }
}
