// serf's queries, their answers, relays and key messages, as serf's Go encoder writes them.
import Testing
@testable import MemberlistWire

@Suite("serf queries")
struct SerfQueryTests {
    /// A key-install query as serf 0.8 writes it: fields in declaration order, no SourceNode, Go's
    /// time.Duration as an integer of nanoseconds, nil for empty slices.
    static let serf08InstallQuery: [UInt8] = {
        let request = [UInt8(7), 0x81, 0xA3] + utf8("Key") + [0xB0] + Array(repeating: 0x11, count: 16)
        var bytes = [UInt8(4), 0x8A]
        bytes += [0xA5] + utf8("LTime") + [0x07]
        bytes += [0xA2] + utf8("ID") + [0xCE, 0x12, 0x34, 0x56, 0x78]
        bytes += [0xA4] + utf8("Addr") + [0xA4, 127, 0, 0, 1]
        bytes += [0xA4] + utf8("Port") + [0xCD, 0x1E, 0xD2]
        bytes += [0xA7] + utf8("Filters") + [0xC0]
        bytes += [0xA5] + utf8("Flags") + [0x00]
        bytes += [0xAB] + utf8("RelayFactor") + [0x00]
        bytes += [0xA7] + utf8("Timeout") + [0xCE, 0xBE, 0xBC, 0x20, 0x00]  // 3.2 s
        bytes += [0xA4] + utf8("Name") + [0xB1] + utf8("_serf_install-key")
        bytes += [0xA7] + utf8("Payload") + [0xB7] + request
        return bytes
    }()

    @Test func readsAQueryAsSerfWritesIt() throws {
        let query = try SerfQuery(decoding: Self.serf08InstallQuery)
        #expect(query.ltime == 7 && query.id == 0x1234_5678 && query.port == 7890)
        #expect(query.address == [127, 0, 0, 1] && query.sourceNode.isEmpty && query.filters.isEmpty)
        #expect(query.timeoutNanoseconds == 3_200_000_000 && query.name == "_serf_install-key")
        #expect(query.isInternal && query.rebroadcasts && !query.wantsAck)
        #expect(try SerfKeyRequest(decoding: query.payload).key == Array(repeating: 0x11, count: 16))
    }

    @Test func queriesRoundTripWithFiltersAndFlags() throws {
        let query = SerfQuery(
            ltime: 1 << 40, id: 9, address: Array(repeating: 0xFE, count: 16), port: 7946, sourceNode: "asker",
            filters: [SerfQueryFilter.nodes(["a", "b"]).encoded(), SerfQueryFilter.tag("role", expression: "^web").encoded()],
            flags: SerfQuery.flagAck | SerfQuery.flagNoBroadcast, relayFactor: 2, timeoutNanoseconds: 5_000_000_000,
            name: "_serf_list-keys")
        let decoded = try SerfQuery(decoding: query.encoded())
        #expect(decoded == query)
        #expect(decoded.wantsAck && !decoded.rebroadcasts)
        #expect(try decoded.filters.map(SerfQueryFilter.init(decoding:)) == [.nodes(["a", "b"]), .tag("role", expression: "^web")])
    }

    @Test func answersRelaysAndKeyResponsesRoundTrip() throws {
        let keyAnswer = SerfKeyResponse(result: true, keys: ["a2V5", "b3RoZXI="], primaryKey: "a2V5")
        #expect(try SerfKeyResponse(decoding: keyAnswer.encoded()) == keyAnswer)
        let answer = SerfQueryResponse(ltime: 7, id: 3, from: "b", payload: keyAnswer.encoded())
        #expect(try SerfQueryResponse(decoding: answer.encoded()) == answer)
        let ack = SerfQueryResponse(ltime: 7, id: 3, from: "b", flags: SerfQuery.flagAck)
        #expect(try SerfQueryResponse(decoding: ack.encoded()).isAck)
        let relay = SerfRelay(destinationIP: [10, 0, 0, 1], destinationPort: 7946, destinationName: "a", message: answer.encoded())
        #expect(try SerfRelay(decoding: relay.encoded()) == relay)
        // serf 0.8's nodeKeyResponse has no PrimaryKey: read as empty.
        let old = [UInt8(8), 0x83, 0xA6] + utf8("Result") + [0xC2] + [0xA7] + utf8("Message") + [0xA3] + utf8("bad")
            + [0xA4] + utf8("Keys") + [0xC0]
        #expect(try SerfKeyResponse(decoding: old) == SerfKeyResponse(result: false, message: "bad"))
    }

    @Test func refusesWhatIsNotAQuery() {
        #expect(refusal { try SerfQuery(decoding: [5, 0x80]) } == .unexpectedType)
        #expect(refusal { try SerfQuery(decoding: [4, 0x80]) } == .malformed)  // no answer address
        #expect(refusal { try SerfQuery(decoding: Array(Self.serf08InstallQuery.dropLast(3))) } == .truncated)
        #expect(refusal { try SerfQueryFilter(decoding: [7, 0x90]) } == .unknownType)
        #expect(refusal { try SerfRelay(decoding: [9, 0x80]) } == .malformed)
        #expect(refusal { try SerfKeyRequest(decoding: []) } == .truncated)
        #expect(refusal { try SerfQueryResponse(decoding: [5, 0x81, 0xA2] + utf8("ID") + [0xCF, 1, 0, 0, 0, 0, 0, 0, 0]) } == .malformed)
    }

    @Test func serfPushPullStateGivesItsQueryClock() {
        let state = [UInt8(2), 0x82, 0xA5] + utf8("LTime") + [0x03] + [0xAA] + utf8("QueryLTime") + [0xCD, 0x01, 0x00]
        #expect(SerfPushPullClocks.queryTime(in: state) == 256)
        #expect(SerfPushPullClocks.queryTime(in: [2, 0x81, 0xA5] + utf8("LTime") + [0x03]) == nil)
        #expect(SerfPushPullClocks.queryTime(in: [0x50, 1, 2]) == nil)
        #expect(SerfPushPullClocks.queryTime(in: [2, 0x85]) == nil)
    }

    @Test func keyFingerprintsTellKeysApartAndAreStable() {
        let a = KeyFingerprint.of(Array(repeating: 1, count: 16))
        #expect(a.count == 16 && a == KeyFingerprint.of(Array(repeating: 1, count: 16)))
        #expect(a != KeyFingerprint.of(Array(repeating: 2, count: 16)))
        // SHA-256("") begins e3b0c44298fc1c14.
        #expect(KeyFingerprint.of([]) == "e3b0c44298fc1c14")
    }
}
