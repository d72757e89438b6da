import CoreMetrics
@testable import GossipNodeCore
import Membership
import MetricsTestSupport
import ProtocolSupport
import Testing

@Suite("NodeCore: a seed given by name is resolved by the driver at the join and at every retry")
struct SeedNameTests {
    static let me = SocketAddress(ipv4: 10, 0, 0, 1, port: 7946)
    static let seed = Seed.name(host: "seeds.cluster.test", port: 7946)
    static let metric = "gossip_node_seed_resolution_failures_total"

    static func makeCore(name: String = "me", at address: SocketAddress = me,
                         metrics: any MetricsFactory = NOOPMetricsHandler.instance) throws -> NodeCore {
        let config = NodeCoreConfig(name: name, membershipSource: .swim(advertise: address), checkInvariants: true)
        return try NodeCore(config: config, seed: 42, metrics: metrics, now: .zero)
    }

    /// An address as the runtime's lookup answers it: no port (the seed's port is the core's to add).
    static func found(_ text: String) -> SocketAddress {
        guard let ip = SocketAddress.parseHost(text), let address = SocketAddress(ip: ip, port: 0) else {
            preconditionFailure("not an IP literal: \(text)")
        }
        return address
    }

    static func at(_ text: String) -> SocketAddress {
        SocketAddress(ip: SocketAddress.parseHost(text)!, port: 7946)!
    }

    static func lookups(_ out: [NodeOutput]) -> [Seed] {
        out.compactMap { if case .resolveSeed(let host, let port) = $0 { .name(host: host, port: port) } else { nil } }
    }

    static func pushPulls(_ out: [NodeOutput]) -> [StreamRequest] {
        out.compactMap { if case .openStream(let request) = $0, request.expectsReply { request } else { nil } }
    }

    static func joinOutcomes(_ out: [NodeOutput]) -> [(Seed, JoinFailure?)] {
        out.compactMap { if case .joinCompleted(let seed, let failure) = $0 { (seed, failure) } else { nil } }
    }

    /// Runs the core's timers from `now` until it asks for a lookup (or `limit` passes); returns the time
    /// it asked and every output on the way.
    static func runUntilLookup(_ core: inout NodeCore, from now: Instant, limit: Duration) -> (Instant, [NodeOutput]) {
        var out: [NodeOutput] = []
        var clock = now
        while lookups(out).isEmpty, let next = core.nextDeadline, next <= now + limit {
            clock = max(clock, next)
            core.handleTimeout(now: clock, into: &out)
        }
        return (clock, out)
    }

    @Test("the core asks for the name at the join, joins nothing before the answer, then every address it gets")
    func asksAtJoinAndJoinsEveryAddress() throws {
        var core = try Self.makeCore()
        var out: [NodeOutput] = []
        core.join([Self.seed], now: .zero, into: &out)
        #expect(Self.lookups(out) == [Self.seed])
        #expect(Self.pushPulls(out).isEmpty, "a push/pull went out before the name was resolved")

        out.removeAll()
        core.seedResolved(host: "seeds.cluster.test", port: 7946,
                          result: .success([Self.found("10.0.0.7"), Self.found("fd00::7"), Self.found("10.0.0.7")]),
                          now: .zero + .milliseconds(5), into: &out)
        let requests = Self.pushPulls(out)
        #expect(requests.map(\.to) == [Self.at("10.0.0.7"), Self.at("fd00::7")], "each address once, with the seed's port")

        // One address refuses: the join is not over while the other has not answered.
        var first: [NodeOutput] = []
        core.streamCompleted(requests[0].id, result: .failed(.refused), now: .zero + .milliseconds(6), into: &first)
        #expect(Self.joinOutcomes(first).isEmpty)
        var second: [NodeOutput] = []
        core.streamCompleted(requests[1].id, result: .failed(.timedOut), now: .zero + .milliseconds(7), into: &second)
        let outcomes = Self.joinOutcomes(second)
        #expect(outcomes.count == 1)
        #expect(outcomes.first?.0 == Self.seed && outcomes.first?.1 == .unreachable(.refused))
    }

    @Test("a name that lists this node too (a headless service) is joined through the others; itself alone is no join")
    func ownAddressIsLeftOut() throws {
        var core = try Self.makeCore()
        var out: [NodeOutput] = []
        core.join([Self.seed], now: .zero, into: &out)
        out.removeAll()
        core.seedResolved(host: "seeds.cluster.test", port: 7946, result: .success([Self.found("10.0.0.1"), Self.found("10.0.0.2")]),
                          now: .zero + .milliseconds(5), into: &out)
        #expect(Self.pushPulls(out).map(\.to) == [Self.at("10.0.0.2")])

        var alone = try Self.makeCore()
        out.removeAll()
        alone.join([Self.seed], now: .zero, into: &out)
        out.removeAll()
        alone.seedResolved(host: "seeds.cluster.test", port: 7946, result: .success([Self.found("10.0.0.1")]),
                           now: .zero + .milliseconds(5), into: &out)
        #expect(Self.pushPulls(out).isEmpty)
        let outcome = try #require(Self.joinOutcomes(out).first)
        #expect(outcome.1 == .unresolved(host: "seeds.cluster.test", reason: "it resolves to this node's own address only"))
    }

    @Test("while the node is alone, every retry of the seed resolves the name again and follows new addresses")
    func retriesResolveAgain() throws {
        var core = try Self.makeCore()
        var out: [NodeOutput] = []
        core.join([Self.seed], now: .zero, into: &out)
        core.seedResolved(host: "seeds.cluster.test", port: 7946, result: .success([Self.found("10.0.0.7")]),
                          now: .zero, into: &out)
        for request in Self.pushPulls(out) {
            core.streamCompleted(request.id, result: .failed(.refused), now: .zero, into: &out)
        }
        #expect(Self.joinOutcomes(out).count == 1)

        // The first retry: 2 s after the join, jittered by a quarter.
        let (retryAt, retry) = Self.runUntilLookup(&core, from: .zero, limit: .seconds(10))
        #expect(Self.lookups(retry) == [Self.seed], "no new lookup within 10 s of a failed join")
        #expect(retryAt >= .zero + .milliseconds(1500) && retryAt <= .zero + .milliseconds(2500), "retried at \(retryAt)")
        #expect(retry.contains(.reconnect(.attempted(member: nil, target: Self.seed))))
        #expect(Self.pushPulls(retry).isEmpty, "the retry went to the old addresses without asking")

        // The name now points elsewhere: the retry goes there, and only there.
        var moved: [NodeOutput] = []
        core.seedResolved(host: "seeds.cluster.test", port: 7946,
                          result: .success([Self.found("10.0.0.8"), Self.found("fd00::8")]), now: retryAt, into: &moved)
        #expect(Self.pushPulls(moved).map(\.to) == [Self.at("10.0.0.8"), Self.at("fd00::8")])
        var failed: [NodeOutput] = []
        for request in Self.pushPulls(moved) {
            core.streamCompleted(request.id, result: .failed(.refused), now: retryAt, into: &failed)
        }
        #expect(failed.contains(.reconnect(.failed(member: nil, target: Self.seed, .unreachable(.refused)))))
        #expect(Self.joinOutcomes(failed).isEmpty, "a retry's outcome was reported as the application's join")

        // And the next retry asks once more; this time the name is gone.
        let (againAt, again) = Self.runUntilLookup(&core, from: retryAt, limit: .seconds(10))
        #expect(Self.lookups(again) == [Self.seed])
        var gone: [NodeOutput] = []
        core.seedResolved(host: "seeds.cluster.test", port: 7946,
                          result: .failure(SeedResolutionFailure(reason: .notFound, detail: "Name or service not known")),
                          now: againAt, into: &gone)
        #expect(gone.contains(.reconnect(.failed(member: nil, target: Self.seed,
                                                 .unresolved(host: "seeds.cluster.test", reason: "Name or service not known")))))
    }

    @Test("a name that does not resolve fails the join with its name and the resolver's words, counted by reason")
    func resolutionFailure() throws {
        let metrics = RecordingMetrics()
        var core = try Self.makeCore(metrics: metrics)
        var out: [NodeOutput] = []
        let other = Seed.name(host: "empty.cluster.test", port: 7000)
        core.join([Self.seed, other], now: .zero, into: &out)
        #expect(Self.lookups(out) == [Self.seed, other])
        out.removeAll()
        core.seedResolved(host: "seeds.cluster.test", port: 7946,
                          result: .failure(SeedResolutionFailure(reason: .notFound, detail: "Name or service not known")),
                          now: .zero, into: &out)
        core.seedResolved(host: "empty.cluster.test", port: 7000, result: .success([]), now: .zero, into: &out)
        let outcomes = Self.joinOutcomes(out)
        #expect(outcomes.count == 2)
        #expect(outcomes.first?.0 == Self.seed)
        let failure = try #require(outcomes.first?.1)
        #expect(failure == .unresolved(host: "seeds.cluster.test", reason: "Name or service not known"))
        #expect("\(failure)" == "cannot resolve 'seeds.cluster.test': Name or service not known")
        #expect(outcomes.last?.1 == .unresolved(host: "empty.cluster.test", reason: "no IPv4 or IPv6 address"))
        #expect(Self.pushPulls(out).isEmpty)
        #expect(metrics.value(Self.metric, [("reason", "not_found")]) == 1)
        #expect(metrics.value(Self.metric, [("reason", "no_address")]) == 1)
        #expect(metrics.value(Self.metric, [("reason", "temporary_failure")]) == 0)
    }

    @Test("a name joined twice at once is looked up once and answered once; an answer nobody asked for is ignored")
    func oneLookupPerName() throws {
        var core = try Self.makeCore()
        var out: [NodeOutput] = []
        core.join([Self.seed, Self.seed], now: .zero, into: &out)
        core.join([Self.seed], now: .zero, into: &out)
        #expect(Self.lookups(out) == [Self.seed])

        var stray: [NodeOutput] = []
        core.seedResolved(host: "nobody.asked", port: 1, result: .success([Self.found("10.0.0.9")]), now: .zero, into: &stray)
        #expect(Self.pushPulls(stray).isEmpty && Self.joinOutcomes(stray).isEmpty)

        var answer: [NodeOutput] = []
        core.seedResolved(host: "seeds.cluster.test", port: 7946, result: .success([Self.found("10.0.0.7")]), now: .zero, into: &answer)
        // A second answer to the same request joins nothing more.
        core.seedResolved(host: "seeds.cluster.test", port: 7946, result: .success([Self.found("10.0.0.9")]), now: .zero, into: &answer)
        #expect(Self.pushPulls(answer).map(\.to) == [Self.at("10.0.0.7")])
        var done: [NodeOutput] = []
        for request in Self.pushPulls(answer) {
            core.streamCompleted(request.id, result: .failed(.refused), now: .zero, into: &done)
        }
        #expect(Self.joinOutcomes(done).count == 1)
    }

    @Test("the seed's state is merged through whichever of its addresses answers")
    func mergesThroughAnyAddress() throws {
        let peerAddress = Self.at("10.0.0.2")
        var core = try Self.makeCore()
        var peer = try Self.makeCore(name: "peer", at: peerAddress)
        var out: [NodeOutput] = []
        core.join([Self.seed], now: .zero, into: &out)
        core.seedResolved(host: "seeds.cluster.test", port: 7946,
                          result: .success([Self.found("10.0.0.9"), Self.found("10.0.0.2")]), now: .zero, into: &out)
        var outcomes: [NodeOutput] = []
        var inbound: UInt64 = 0
        for request in Self.pushPulls(out) {
            guard request.to == peerAddress else {
                core.streamCompleted(request.id, result: .failed(.refused), now: .zero, into: &outcomes)
                continue
            }
            // The peer core answers the push/pull as it would over TCP.
            inbound += 1
            var peerOut: [NodeOutput] = []
            peer.receiveStream(request.request, from: Self.me, stream: InboundStreamID(rawValue: inbound), now: .zero, into: &peerOut)
            let reply = peerOut.compactMap { if case .answerStream(_, let reply) = $0 { reply } else { nil } }.first
            core.streamCompleted(request.id, result: .reply(try #require(reply)), now: .zero, into: &outcomes)
        }
        let joined = Self.joinOutcomes(outcomes)
        #expect(joined.count == 1)
        #expect(joined.first?.0 == Self.seed && joined.first?.1 == nil, "got \(joined)")
        #expect(core.members.map(\.name).sorted() == ["me", "peer"])
        #expect(!core.isAlone)
    }

    @Test("the same seed and the same answers give the same outputs")
    func deterministic() throws {
        func run() throws -> [NodeOutput] {
            var core = try Self.makeCore()
            var all: [NodeOutput] = []
            var answers = 0
            // Answers every lookup with an address that changes each time, and fails every push/pull.
            func answer(_ outputs: [NodeOutput], now: Instant) {
                var pending = outputs
                while !pending.isEmpty {
                    var more: [NodeOutput] = []
                    for output in pending {
                        switch output {
                        case .resolveSeed(let host, let port):
                            answers += 1
                            core.seedResolved(host: host, port: port, result: .success([Self.found("10.0.1.\(answers % 250)")]),
                                              now: now, into: &more)
                        case .openStream(let request):
                            core.streamCompleted(request.id, result: .failed(.refused), now: now, into: &more)
                        default:
                            break
                        }
                    }
                    all += more
                    pending = more
                }
            }
            var out: [NodeOutput] = []
            core.join([Self.seed, .address(Self.at("10.0.0.3"))], now: .zero, into: &out)
            all += out
            answer(out, now: .zero)
            var now = Instant.zero
            while now < .zero + .seconds(120), let next = core.nextDeadline {
                now = max(now, next)
                out.removeAll()
                core.handleTimeout(now: now, into: &out)
                all += out
                answer(out, now: now)
            }
            return all
        }
        let first = try run()
        #expect(first == (try run()))
        #expect(Self.lookups(first).count >= 4, "the name was looked up \(Self.lookups(first).count) times in 120 s")
    }
}
