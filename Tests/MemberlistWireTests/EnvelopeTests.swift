// Compound, CRC, LZW and AES-GCM: each envelope on its own, against known vectors where there are some.
import Testing
@testable import MemberlistWire

@Suite("envelopes")
struct EnvelopeTests {
    // MARK: compound

    @Test func compoundLayoutAndSplit() throws {
        let parts: [[UInt8]] = [Ping(seqNo: 1).encoded(), [8, 1, 2, 3], NackResp(seqNo: 2).encoded()]
        let packet = try Compound.build(parts)
        #expect(Array(packet.prefix(8)) == [7, 3, 0, UInt8(parts[0].count), 0, 4, 0, UInt8(parts[2].count)])
        let ranges = try Compound.split(packet, start: 1, end: packet.count)
        #expect(ranges.map { Array(packet[$0]) } == parts)
    }

    @Test func compoundBudgetMatchesMemberlist() {
        #expect(Compound.piggybackBudget(firstMessageLength: 100, encrypted: false) == 1400 - 100 - 2)
        #expect(Compound.piggybackBudget(firstMessageLength: 100, encrypted: true) == 1400 - 100 - 2 - 29)
    }

    @Test func compoundPartLimits() throws {
        let many = [[UInt8]](repeating: NackResp(seqNo: 1).encoded(), count: 300)
        let packets = try Compound.pack(many)
        #expect(packets.count == 3)
        #expect(packets.map { $0[1] } == [127, 127, 46])
        #expect(refusal { try Compound.build(Array(many.prefix(128))) } == .tooLarge)
        #expect(refusal { try Compound.build([]) } == .tooLarge)
        #expect(try Compound.pack([[4, 5]]) == [[4, 5]])
    }

    // MARK: CRC

    @Test func crc32MatchesTheIEEECheckValue() {
        #expect(CRC32.checksum(utf8("123456789")) == 0xCBF4_3926)
        #expect(CRC32.checksum([]) == 0)
    }

    @Test func crcEnvelopeRoundTripAndMismatch() throws {
        let payload = Ping(seqNo: 5, node: "a").encoded()
        let wrapped = CRCEnvelope.wrap(payload)
        let crc = CRC32.checksum(payload)
        #expect(Array(wrapped.prefix(5)) == [12, UInt8(crc >> 24), UInt8((crc >> 16) & 0xFF), UInt8((crc >> 8) & 0xFF), UInt8(crc & 0xFF)])
        #expect(try CRCEnvelope.unwrap(wrapped) == payload)
        var corrupted = wrapped
        corrupted[corrupted.count - 1] ^= 0x01
        #expect(refusal { try CRCEnvelope.unwrap(corrupted) } == .badCRC)
        #expect(refusal { try CRCEnvelope.unwrap([12, 0, 0]) } == .truncated)
    }

    // MARK: LZW

    static let tobe = utf8("TOBEORNOTTOBEORTOBEORNOT")

    @Test func inflatesGoReaderVectors() throws {
        // From Go's compress/lzw reader tests (streams without a leading clear code).
        #expect(try LZW.inflate(hexBytes("01 01"), maxOutput: 100) == [])
        let tobe = hexBytes("54 9e 08 29 f2 44 8a 93 27 54 04 12 34 b8 b0 e0 c1 84 01 01")
        #expect(try LZW.inflate(tobe, maxOutput: 100) == Self.tobe)
    }

    @Test func deflateMatchesGoWriterBytes() throws {
        // Go's writer (since Go 1.17) starts with a clear code: clear, codes, end, padding.
        #expect(LZW.deflate([]) == hexBytes("00 03 02"))
        let expected = hexBytes("00 a9 3c 11 52 e4 89 14 27 4f a8 08 24 68 70 61 c1 83 09 03 02")
        #expect(hexString(LZW.deflate(Self.tobe)) == hexString(expected))
        // A single byte: clear, 'a', end, each 9 bits.
        #expect(LZW.deflate([0x61]) == [0x00, 0xC3, 0x04, 0x04])
    }

    // Sizes around the deflate table's own sizing (64 slots and up, at most half full) as well as large ones.
    @Test(arguments: [(1, 256), (32, 256), (33, 256), (65, 256), (1400, 256), (1000, 3), (5000, 256), (70000, 4), (200_000, 256), (300_000, 1)])
    func deflateInflateRoundTrips(count: Int, alphabet: Int) throws {
        var gen = TestBytes(seed: UInt64(count))
        let data = gen.bytes(count, alphabet: alphabet)
        let compressed = LZW.deflate(data)
        #expect(try LZW.inflate(compressed, maxOutput: count) == data)
        if alphabet <= 4 { #expect(compressed.count < count / 2) }
    }

    @Test func inflateRefusesBadStreams() {
        let tobe = LZW.deflate(Self.tobe)
        #expect(refusal { try LZW.inflate(Array(tobe.dropLast(2)), maxOutput: 100) } == .unsupportedCompression)
        #expect(refusal { try LZW.inflate(tobe, maxOutput: 10) } == .tooLarge)
        // Code 300 right after the start: not yet defined.
        #expect(refusal { try LZW.inflate([0x2C, 0x03], maxOutput: 100) } == .unsupportedCompression)
        #expect(refusal { try LZW.inflate([], maxOutput: 100) } == .unsupportedCompression)
    }

    // MARK: AES-GCM keyring

    @Test func aesGCMMatchesTheNISTVector() throws {
        // NIST GCM test case 2: zero key, zero IV, 16 zero bytes.
        let keyring = try Keyring(primaryKey: [UInt8](repeating: 0, count: 16))
        let sealed = try keyring.encrypt([UInt8](repeating: 0, count: 16), nonce: [UInt8](repeating: 0, count: 12))
        #expect(sealed.count == 1 + 12 + 16 + 16)
        #expect(sealed[0] == 1)
        #expect(hexString(Array(sealed[13...])) == hexString(hexBytes("0388dace60b6a392f328c2b971b2fe78 ab6e47d42cec13bdf53a67b21257bddf")))
    }

    @Test(arguments: [Keys.k16, Keys.k24, Keys.k32])
    func encryptDecryptWithEveryKeySize(key: [UInt8]) throws {
        let keyring = try Keyring(primaryKey: key)
        for plain in [[], [1], [UInt8](repeating: 9, count: 1371)] as [[UInt8]] {
            let sealed = try keyring.encrypt(plain, nonce: Keys.nonce)
            #expect(sealed.count == plain.count + Keyring.overhead)
            #expect(Array(sealed[1...12]) == Keys.nonce)
            #expect(try keyring.decrypt(sealed) == plain)
        }
    }

    @Test func wrongKeyTamperingAndAssociatedDataAreRefused() throws {
        let ours = try Keyring(primaryKey: Keys.k32)
        let theirs = try Keyring(primaryKey: Keys.other32)
        let sealed = try ours.encrypt(utf8("hello"), nonce: Keys.nonce, associatedData: [10, 0, 0, 0, 34])
        #expect(refusal { try theirs.decrypt(sealed, associatedData: [10, 0, 0, 0, 34]) } == .decryptFailed)
        #expect(refusal { try ours.decrypt(sealed, associatedData: [10, 0, 0, 0, 35]) } == .decryptFailed)
        #expect(refusal { try ours.decrypt(sealed) } == .decryptFailed)
        var tampered = sealed
        tampered[14] ^= 0x80
        #expect(refusal { try ours.decrypt(tampered, associatedData: [10, 0, 0, 0, 34]) } == .decryptFailed)
        var badVersion = sealed
        badVersion[0] = 2
        #expect(refusal { try ours.decrypt(badVersion, associatedData: [10, 0, 0, 0, 34]) } == .decryptFailed)
        #expect(refusal { try ours.decrypt(Array(sealed.prefix(28))) } == .decryptFailed)
        #expect(refusal { try ours.decrypt([]) } == .decryptFailed)
    }

    @Test func decryptTriesEveryKeyAndRotationWorks() throws {
        let old = try Keyring(primaryKey: Keys.k16)
        let sealedWithOld = try old.encrypt(utf8("old"), nonce: Keys.nonce)

        var ring = try Keyring(primaryKey: Keys.k16)
        try ring.addKey(Keys.k32)
        try ring.addKey(Keys.k32)
        #expect(ring.keys == [Keys.k16, Keys.k32])
        try ring.useKey(Keys.k32)
        #expect(ring.primaryKey == Keys.k32)
        // Still opens what the old primary sealed, and seals with the new one.
        #expect(try ring.decrypt(sealedWithOld) == utf8("old"))
        let sealedWithNew = try ring.encrypt(utf8("new"), nonce: Keys.nonce)
        #expect(refusal { try old.decrypt(sealedWithNew) } == .decryptFailed)
        #expect(try Keyring(primaryKey: Keys.k32).decrypt(sealedWithNew) == utf8("new"))

        #expect(refusal { try ring.removeKey(Keys.k32) } == .invalidKey)
        try ring.removeKey(Keys.k16)
        #expect(ring.keys == [Keys.k32])
        #expect(refusal { try ring.decrypt(sealedWithOld) } == .decryptFailed)
        #expect(refusal { try ring.useKey(Keys.k24) } == .invalidKey)
    }

    @Test func useKeyKeepsOtherKeysInOrder() throws {
        var ring = try Keyring(primaryKey: Keys.k16, otherKeys: [Keys.k24, Keys.k32, Keys.other32])
        try ring.useKey(Keys.other32)
        #expect(ring.keys == [Keys.other32, Keys.k16, Keys.k24, Keys.k32])
    }

    @Test func invalidKeysAndNoncesAreRefused() throws {
        #expect(refusal { try Keyring(primaryKey: [1, 2, 3]) } == .invalidKey)
        var ring = try Keyring(primaryKey: Keys.k16)
        #expect(refusal { try ring.addKey([UInt8](repeating: 0, count: 20)) } == .invalidKey)
        #expect(refusal { try ring.encrypt([1], nonce: [1, 2, 3]) } == .encryptFailed)
    }

    @Test func decryptsVersionZeroWithPadding() throws {
        // Protocol 1 peers pad with PKCS7 and write version 0.
        let plain = utf8("twelve bytes")
        let padded = plain + [UInt8](repeating: 4, count: 4)
        var sealed: [UInt8] = [0] + Keys.nonce
        #expect(AESGCM.seal(key: Keys.k32, nonce: Keys.nonce, plaintext: padded, aad: [], into: &sealed))
        #expect(try Keyring(primaryKey: Keys.k32).decrypt(sealed) == plain)
    }
}
