// The msgpack subset: the forms Go's codec 0.5.5 writes, and what it accepts and refuses on read.
import Testing
@testable import MemberlistWire

@Suite("msgpack as Go's codec writes and reads it")
struct MsgpackTests {
    @Test(arguments: [
        (UInt64(0), "00"), (127, "7f"), (128, "cc 80"), (255, "cc ff"), (256, "cd 01 00"), (65535, "cd ff ff"),
        (65536, "ce 00 01 00 00"), (4_294_967_295, "ce ff ff ff ff"), (4_294_967_296, "cf 00 00 00 01 00 00 00 00"),
    ])
    func unsignedIntegersUseTheSmallestForm(value: UInt64, hex: String) throws {
        var w = MsgpackWriter()
        w.writeUInt(value)
        #expect(hexString(w.bytes) == hex)
        var r = MsgpackReader(w.bytes)
        #expect(try r.readUInt(max: .max) == value)
    }

    @Test(arguments: [(Int64(-1), "ff"), (-32, "e0"), (-33, "d0 df"), (-129, "d1 ff 7f"), (-40000, "d2 ff ff 63 c0"), (5, "05")])
    func signedIntegersAsGoWritesAnInt(value: Int64, hex: String) throws {
        var w = MsgpackWriter()
        w.writeInt(value)
        #expect(hexString(w.bytes) == hex)
        var r = MsgpackReader(w.bytes)
        #expect(try r.readInteger() == value)
    }

    @Test(arguments: [0, 1, 31, 32, 255, 256, 65535, 65536])
    func rawsAreOldSpecNeverStr8OrBin(length: Int) throws {
        var w = MsgpackWriter()
        w.writeString(String(repeating: "x", count: length))
        let header: [UInt8]
        if length < 32 { header = [0xA0 | UInt8(length)] }
        else if length < 65536 { header = [0xDA, UInt8(length >> 8), UInt8(length & 0xFF)] }
        else { header = [0xDB, 0, UInt8(length >> 16), UInt8((length >> 8) & 0xFF), UInt8(length & 0xFF)] }
        #expect(Array(w.bytes.prefix(header.count)) == header)
        #expect(w.bytes.count == header.count + length)
        var r = MsgpackReader(w.bytes)
        #expect(try r.readString().utf8.count == length)
    }

    @Test func bytesFieldAcceptsBinAndStr8() throws {
        // AckResp with Payload written as bin8 and as str8 by a newer encoder.
        let asBin = [UInt8(2), 0x82] + [0xA5] + utf8("SeqNo") + [0x07] + [0xA7] + utf8("Payload") + [0xC4, 2, 9, 8]
        let asStr8 = [UInt8(2), 0x82] + [0xA5] + utf8("SeqNo") + [0x07] + [0xA7] + utf8("Payload") + [0xD9, 2, 9, 8]
        #expect(try AckResp(decoding: asBin) == AckResp(seqNo: 7, payload: [9, 8]))
        #expect(try AckResp(decoding: asStr8) == AckResp(seqNo: 7, payload: [9, 8]))
    }

    @Test func stringFieldRefusesBin() {
        let message = [UInt8(0), 0x81] + [0xA4] + utf8("Node") + [0xC4, 1, 0x61]
        #expect(throws: WireError(.malformed, "bin where a string is expected")) { try Ping(decoding: message) }
    }

    @Test func stringFieldAcceptsStr8() throws {
        let message = [UInt8(0), 0x81] + [0xA4] + utf8("Node") + [0xD9, 1, 0x61]
        #expect(try Ping(decoding: message).node == "a")
    }

    @Test func keysInAnyOrderUnknownKeysSkippedMissingKeysZero() throws {
        var w = MsgpackWriter(prefix: [MessageType.alive.rawValue])
        w.writeMapHeader(count: 4)
        w.writeKey("Port"); w.writeUInt(7946)
        w.writeKey("Future"); w.writeMapHeader(count: 1); w.writeKey("x"); w.writeRawBytes([1, 2, 3])
        w.writeKey("Node"); w.writeString("n1")
        w.writeKey("Extra"); w.bytes += [0x93, 0x01, 0xCB, 0, 0, 0, 0, 0, 0, 0, 0, 0xC3]  // [1, 1.0 as float64, true]
        let alive = try Alive(decoding: w.bytes)
        #expect(alive == Alive(incarnation: 0, node: "n1", addr: [], port: 7946, meta: [], vsn: .absent))
    }

    @Test func oneCharacterKeysMatch() throws {
        var w = MsgpackWriter()
        w.writeKey("x")
        w.writeKey("xy")
        var r = MsgpackReader(w.bytes)
        let one = try r.readKey()
        let two = try r.readKey()
        #expect(r.key(one, is: "x") && !r.key(one, is: "y") && !r.key(one, is: "xy"))
        #expect(r.key(two, is: "xy") && !r.key(two, is: "x"))
    }

    @Test func keysAreCaseSensitive() throws {
        let message = [UInt8(0), 0x81] + [0xA4] + utf8("node") + [0xA1, 0x61]
        #expect(try Ping(decoding: message).node == "")
    }

    @Test func nilReadsAsZeroValues() throws {
        var w = MsgpackWriter(prefix: [MessageType.ping.rawValue])
        w.writeMapHeader(count: 3)
        w.writeKey("Node"); w.writeNil()
        w.writeKey("SeqNo"); w.writeNil()
        w.writeKey("SourceAddr"); w.writeNil()
        #expect(try Ping(decoding: w.bytes) == Ping())
    }

    @Test func vsnAsArrayOfIntegersIsAccepted() throws {
        var w = MsgpackWriter(prefix: [MessageType.alive.rawValue])
        w.writeMapHeader(count: 1)
        w.writeKey("Vsn")
        w.bytes += [0x96, 1, 5, 2, 2, 5, 0xCC, 200]
        #expect(try Alive(decoding: w.bytes).vsn == Vsn(bytes: [1, 5, 2, 2, 5, 200]))
    }

    @Test(arguments: [1, 5, 7])
    func vsnOfAnyOtherLengthIsRefused(length: Int) {
        var w = MsgpackWriter(prefix: [MessageType.alive.rawValue])
        w.writeMapHeader(count: 1)
        w.writeKey("Vsn"); w.writeRawBytes([UInt8](repeating: 1, count: length))
        #expect(throws: WireError.self) { try Alive(decoding: w.bytes) }
        #expect((try? Alive(decoding: w.bytes)) == nil)
    }

    @Test func integerOverflowAndNegativeForUnsignedAreRefused() {
        let portTooLarge = [UInt8(4), 0x81] + [0xA4] + utf8("Port") + [0xCE, 0, 1, 0, 0]
        let negativeSeq = [UInt8(0), 0x81] + [0xA5] + utf8("SeqNo") + [0xFF]
        #expect(throws: WireError(.malformed, "integer 65536 overflows its field")) { try Alive(decoding: portTooLarge) }
        #expect(throws: WireError(.malformed, "negative value for an unsigned field")) { try Ping(decoding: negativeSeq) }
    }

    @Test func signedIntegerFormsAreReadIntoUnsignedFields() throws {
        let int16Seq = [UInt8(0), 0x81] + [0xA5] + utf8("SeqNo") + [0xD1, 0x01, 0x00]
        #expect(try Ping(decoding: int16Seq).seqNo == 256)
    }

    @Test func bytesAfterTheMapAreRefused() {
        #expect(throws: WireError.self) { try Ping(decoding: Ping(seqNo: 1).encoded() + [0]) }
    }

    @Test func skipValueCrossesEveryType() throws {
        let values: [[UInt8]] = [
            [0xC0], [0xC2], [0x7F], [0xE0], [0xCC, 1], [0xCD, 1, 2], [0xCE, 1, 2, 3, 4], [0xCF] + [UInt8](repeating: 0, count: 8),
            [0xD0, 1], [0xD1, 1, 2], [0xD2, 1, 2, 3, 4], [0xD3] + [UInt8](repeating: 0, count: 8), [0xCA, 0, 0, 0, 0],
            [0xCB] + [UInt8](repeating: 0, count: 8), [0xA2, 1, 2], [0xD9, 1, 1], [0xDA, 0, 1, 1], [0xDB, 0, 0, 0, 1, 1],
            [0xC4, 1, 1], [0xC5, 0, 1, 1], [0xC6, 0, 0, 0, 1, 1], [0xD4, 1, 1], [0xD5, 1, 1, 1], [0xD6, 1, 1, 1, 1, 1],
            [0xD7, 1] + [UInt8](repeating: 0, count: 8), [0xD8, 1] + [UInt8](repeating: 0, count: 16), [0xC7, 1, 1, 1],
            [0xC8, 0, 1, 1, 1], [0xC9, 0, 0, 0, 1, 1, 1], [0x92, 0x01, 0x81, 0xA1, 0x61, 0x90], [0xDC, 0, 1, 0xC3],
            [0xDD, 0, 0, 0, 1, 0xC3], [0xDE, 0, 1, 0xA1, 0x61, 0x01], [0xDF, 0, 0, 0, 1, 0xA1, 0x61, 0x80],
        ]
        for value in values {
            var r = MsgpackReader(value + [0x2A])
            try r.skipValue()
            #expect(try r.readInteger() == 42, "after skipping \(hexString(value))")
        }
    }

    @Test func reservedTagIsMalformed() {
        var r = MsgpackReader([0xC1])
        #expect(throws: WireError(.malformed, "reserved msgpack tag 0xc1")) { try r.skipValue() }
    }

    @Test func invalidUTF8InAStringIsRefused() {
        let message = [UInt8(0), 0x81] + [0xA4] + utf8("Node") + [0xA2, 0xC3, 0x28]
        #expect(throws: WireError(.malformed, "string is not UTF-8")) { try Ping(decoding: message) }
    }
}
