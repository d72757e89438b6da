import CoreMetrics
@testable import GossipNodeCore
import MemberlistWire
import Membership
import Plumtree
import ProtocolSupport
import Testing

/// serf's queries at the node core: key queries carried out and answered to the asker, every new query
/// gossiped on once, acknowledgements and filters as serf has them, and the node's own keyring operations
/// gathered into one report.
@Suite("NodeCore: serf queries and keyring operations")
struct SerfQueryTests {
    static let me = SocketAddress(ipv4: 10, 0, 0, 1, port: 7946)
    static let asker = SocketAddress(ipv4: 10, 0, 0, 9, port: 7946)
    static let oldKey = [UInt8](repeating: 1, count: 16)
    static let newKey = [UInt8](repeating: 2, count: 32)

    static func makeCore(keys: [[UInt8]] = [oldKey]) throws -> NodeCore {
        let config = NodeCoreConfig(name: "me", membershipSource: .swim(advertise: me), tags: ["role": "web"],
                                    encryptionKeys: keys, checkInvariants: true)
        return try NodeCore(config: config, seed: 7, metrics: NOOPMetricsHandler.instance, now: .zero)
    }

    /// A datagram as a member holding `oldKey` sends it (plaintext when there is no key): a serf message in
    /// a memberlist user message, or a membership message as it is.
    static func datagram(_ serfMessage: [UInt8], keys: [[UInt8]] = [oldKey], asUserMessage: Bool = true) throws -> [UInt8] {
        let keyring = try keys.first.map { try Keyring(primaryKey: $0) }
        return try Packet.encode((asUserMessage ? [MessageType.user.rawValue] : []) + serfMessage, keyring: keyring,
                                 nonce: keyring == nil ? [] : Array(repeating: 3, count: Keyring.nonceSize))
    }

    static func query(_ name: String, payload: [UInt8] = [], id: UInt32 = 5, flags: UInt32 = 0,
                      filters: [SerfQueryFilter] = []) -> SerfQuery {
        SerfQuery(ltime: 3, id: id, address: asker.ip, port: asker.port, sourceNode: "asker",
                  filters: filters.map { $0.encoded() }, flags: flags, timeoutNanoseconds: 3_000_000_000,
                  name: name, payload: payload)
    }

    /// The serf answers the core sent to `to`, read from its datagrams with `keyring`.
    static func answers(in out: [NodeOutput], to: SocketAddress, keyring: Keyring?) -> [SerfQueryResponse] {
        out.flatMap { output -> [SerfQueryResponse] in
            guard case .sendDatagram(let address, let bytes) = output, address == to,
                  let messages = try? Packet.decode(bytes, security: .init(keyring: keyring)) else { return [] }
            return messages.compactMap { message in
                guard case .user(let payload) = message, payload.first == SerfMessageKind.queryResponse else { return nil }
                return try? SerfQueryResponse(decoding: payload)
            }
        }
    }

    /// Whether the core's datagrams to `to` carry the serf query `id` (gossiped on).
    static func gossips(_ id: UInt32, in out: [NodeOutput], to: SocketAddress, keyring: Keyring?) -> Bool {
        out.contains { output in
            guard case .sendDatagram(let address, let bytes) = output, address == to,
                  let messages = try? Packet.decode(bytes, security: .init(keyring: keyring)) else { return false }
            return messages.contains { message in
                guard case .user(let payload) = message, payload.first == SerfMessageKind.query else { return false }
                return (try? SerfQuery(decoding: payload))?.id == id
            }
        }
    }

    static func run(_ core: inout NodeCore, from: Instant, until: Instant) -> [NodeOutput] {
        NodeCoreTests.run(&core, from: from, until: until)
    }

    static func addPeer(_ core: inout NodeCore, _ name: String, _ last: UInt8, now: Instant) throws {
        let alive = Alive(incarnation: 1, node: name, addr: [10, 0, 0, last], port: 7946, meta: [], vsn: .serfAgent)
        var out: [NodeOutput] = []
        core.receiveDatagram(try datagram(alive.encoded(), asUserMessage: false), from: SocketAddress(ipv4: 10, 0, 0, last, port: 7946), now: now, into: &out)
    }

    @Test("an install query installs the key, is answered to the asker once, and is gossiped on")
    func installQuery() throws {
        var core = try Self.makeCore()
        try Self.addPeer(&core, "peer", 2, now: .zero)
        let ring = try Keyring(primaryKey: Self.oldKey)
        let install = Self.query("_serf_install-key", payload: SerfKeyRequest(key: Self.newKey).encoded())
        var out: [NodeOutput] = []
        core.receiveDatagram(try Self.datagram(install.encoded()), from: Self.asker, now: .zero + .milliseconds(1), into: &out)

        let answers = Self.answers(in: out, to: Self.asker, keyring: ring)
        #expect(answers.count == 1 && answers.first?.from == "me" && answers.first?.id == 5)
        #expect(try answers.first.map { try SerfKeyResponse(decoding: $0.payload) } == SerfKeyResponse(result: true))
        #expect(core.membership?.keyring?.keys == [Self.oldKey, Self.newKey])
        #expect(out.contains(.keyringChanged(KeyringChange(operation: .install(Self.newKey), requestedBy: "asker", failure: nil))))

        // The same query again, gossiped back by another member: neither applied nor answered twice.
        var again: [NodeOutput] = []
        core.receiveDatagram(try Self.datagram(install.encoded()), from: SocketAddress(ipv4: 10, 0, 0, 2, port: 7946),
                             now: .zero + .milliseconds(2), into: &again)
        #expect(Self.answers(in: again, to: Self.asker, keyring: ring).isEmpty)
        #expect(!again.contains { if case .keyringChanged = $0 { true } else { false } })

        // It rides on the node's gossip to the other members.
        let later = Self.run(&core, from: .zero + .milliseconds(2), until: .zero + .seconds(2))
        #expect(Self.gossips(5, in: later, to: SocketAddress(ipv4: 10, 0, 0, 2, port: 7946), keyring: ring))
    }

    @Test("use and remove follow serf's rules; a node without a keyring says so, as serf does")
    func useRemoveAndNoKeyring() throws {
        var core = try Self.makeCore(keys: [Self.oldKey, Self.newKey])
        let ring = try Keyring(primaryKey: Self.oldKey)
        var out: [NodeOutput] = []
        let removePrimary = Self.query("_serf_remove-key", payload: SerfKeyRequest(key: Self.oldKey).encoded(), id: 1)
        core.receiveDatagram(try Self.datagram(removePrimary.encoded()), from: Self.asker, now: .zero, into: &out)
        let refusal = try #require(Self.answers(in: out, to: Self.asker, keyring: ring).first)
        let refused = try SerfKeyResponse(decoding: refusal.payload)
        #expect(!refused.result && refused.message.contains("primary"))

        out = []
        core.receiveDatagram(try Self.datagram(Self.query("_serf_use-key", payload: SerfKeyRequest(key: Self.newKey).encoded(), id: 2).encoded()),
                             from: Self.asker, now: .zero, into: &out)
        #expect(core.membership?.keyring?.primaryKey == Self.newKey)
        // From now on the node seals with the new key: its answer opens with a keyring holding only that.
        #expect(Self.answers(in: out, to: Self.asker, keyring: try Keyring(primaryKey: Self.newKey)).count == 1)

        var plain = try Self.makeCore(keys: [])
        out = []
        plain.receiveDatagram(try Self.datagram(Self.query("_serf_list-keys").encoded(), keys: []), from: Self.asker, now: .zero, into: &out)
        let listed = try SerfKeyResponse(decoding: try #require(Self.answers(in: out, to: Self.asker, keyring: nil).first).payload)
        #expect(listed == SerfKeyResponse(result: false, message: "Keyring is empty (encryption not enabled)"))
    }

    @Test("acknowledgements, filters, and queries that are not ours")
    func acksAndFilters() throws {
        var core = try Self.makeCore()
        let ring = try Keyring(primaryKey: Self.oldKey)
        func answers(_ query: SerfQuery) throws -> [SerfQueryResponse] {
            var out: [NodeOutput] = []
            core.receiveDatagram(try Self.datagram(query.encoded()), from: Self.asker, now: .zero, into: &out)
            return Self.answers(in: out, to: Self.asker, keyring: ring)
        }
        // Addressed to other nodes: no ack, no answer.
        #expect(try answers(Self.query("_serf_list-keys", id: 10, flags: SerfQuery.flagAck, filters: [.nodes(["other"])])).isEmpty)
        // A tag filter that matches this node's tags (anywhere in the value, as Go's regexp does), with an ack.
        let matched = try answers(Self.query("_serf_list-keys", id: 11, flags: SerfQuery.flagAck, filters: [.nodes(["me"]), .tag("role", expression: "e")]))
        #expect(matched.map(\.isAck) == [true, false])
        #expect(try SerfKeyResponse(decoding: matched[1].payload).keys == [Base64.encode(Self.oldKey)])
        #expect(try answers(Self.query("_serf_list-keys", id: 12, filters: [.tag("role", expression: "^db$")])).isEmpty)
        // A user's own query is acknowledged, never answered (it is the application's, not the node's).
        #expect(try answers(Self.query("deploy", id: 13, flags: SerfQuery.flagAck)).map(\.isAck) == [true])
        // A ping is acknowledged only.
        #expect(try answers(Self.query("_serf_ping", id: 14, flags: SerfQuery.flagAck)).map(\.isAck) == [true])
        // serf's name conflict query carries a node name, not a key request: no key answer to it.
        #expect(try answers(Self.query("_serf_conflict", payload: Array("someone".utf8), id: 15)).isEmpty)
    }

    @Test("a keyring operation of the node's own is applied, asked of every member, and reported once")
    func ownOperation() throws {
        var core = try Self.makeCore()
        try Self.addPeer(&core, "peer", 2, now: .zero)
        try Self.addPeer(&core, "quiet", 3, now: .zero)
        let ring = try Keyring(primaryKey: Self.oldKey)
        var out: [NodeOutput] = []
        let id = core.changeKeyring(.install(Self.newKey), now: .zero + .milliseconds(1), into: &out)
        #expect(core.membership?.keyring?.keys.contains(Self.newKey) == true)
        let gossip = Self.run(&core, from: .zero + .milliseconds(1), until: .zero + .seconds(1))
        #expect(Self.gossips(id, in: gossip, to: SocketAddress(ipv4: 10, 0, 0, 2, port: 7946), keyring: ring))

        // One member answers; the other never does: the report comes at serf's query timeout with both facts.
        var answered: [NodeOutput] = []
        let answer = SerfQueryResponse(ltime: 0, id: id, from: "peer", payload: SerfKeyResponse(result: false, message: "disk full").encoded())
        core.receiveDatagram(try Self.datagram(answer.encoded()), from: SocketAddress(ipv4: 10, 0, 0, 2, port: 7946),
                             now: .zero + .seconds(1), into: &answered)
        #expect(!answered.contains { if case .keyringReport = $0 { true } else { false } })
        let timeout = core.serfQueryTimeout(members: 3)
        #expect(timeout == .milliseconds(200) * 16)
        let end = Self.run(&core, from: .zero + .seconds(1), until: .zero + .milliseconds(1) + timeout)
        let reports = end.compactMap { output -> KeyringReport? in
            if case .keyringReport(let reportID, let report) = output, reportID == id { report } else { nil }
        }
        #expect(reports.count == 1)
        let report = try #require(reports.first)
        #expect(report.members == 3 && report.unanswered == 1 && !report.succeeded)
        #expect(report.failures == [KeyringAnswer(member: "peer", succeeded: false, message: "disk full")])
        #expect(report.answers.map(\.member) == ["me", "peer"])
    }

    @Test("malformed serf messages are refused with the wire's reason, and the node goes on")
    func malformed() throws {
        var core = try Self.makeCore()
        var out: [NodeOutput] = []
        core.receiveDatagram(try Self.datagram([SerfMessageKind.query, 0x81]), from: Self.asker, now: .zero, into: &out)
        core.receiveDatagram(try Self.datagram([SerfMessageKind.relay, 0x80]), from: Self.asker, now: .zero, into: &out)
        let reasons = out.compactMap { output -> String? in if case .refused(.serf(_, let error)) = output { error.label } else { nil } }
        #expect(reasons == ["truncated", "malformed"])
    }
}
