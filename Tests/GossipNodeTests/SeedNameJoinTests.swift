import GossipNode
import GossipTestSupport
import ProtocolSupport
import Testing

/// Seeds given by host name, looked up by the real runtime (uv_getaddrinfo on libuv's thread pool) at the
/// join and at every retry. Names only from /etc/hosts (`localhost`) and the reserved `.invalid` domain
/// (RFC 2606), which never resolves: nothing here depends on a DNS server.
@Suite struct SeedNameJoinTests {
    static func configuration(_ name: String, port: UInt16 = 0) -> GossipNodeConfiguration {
        var configuration = GossipNodeConfiguration(name: name, bind: SocketAddress(ipv4: 127, 0, 0, 1, port: port), profile: .local)
        configuration.logLevel = .critical
        return configuration
    }

    static func sees(_ node: GossipNode, _ name: String) async -> Bool {
        ((try? await node.members()) ?? []).contains { $0.name == name && $0.state == .alive }
    }

    @Test func aNodeJoinsThroughLocalhostAndAPort() async throws {
        let first = try await GossipNode(configuration: Self.configuration("dns-first"))
        try await first.start()
        let port = try await first.boundAddress.port
        var second = Self.configuration("dns-second")
        second.seeds = [try Seed(parsing: "localhost:\(port)")]
        #expect(second.seeds == [.name(host: "localhost", port: port)], "the name was not kept")
        let node = try await GossipNode(configuration: second)
        // start() throws when no seed answered: it returning is the join through the name.
        try await node.start()
        #expect(await LiveHealthTests.waitUntil(timeout: .seconds(10)) { await Self.sees(first, "dns-second") },
                "dns-first never saw dns-second alive within 10 s")
        await node.shutdown()
        await first.shutdown()
    }

    @Test func aNameThatDoesNotResolveFailsTheJoinNamingIt() async throws {
        var configuration = Self.configuration("dns-unresolved")
        configuration.seeds = [try Seed(parsing: "no-such-host.invalid:7946")]
        configuration.joinRetryInterval = nil
        let node = try await GossipNode(configuration: configuration)
        do {
            try await node.start()
            Issue.record("start() joined through a name that cannot resolve")
        } catch {
            guard case .seedsUnreachable(let reasons) = error else {
                Issue.record("unexpected \(error)")
                await node.shutdown()
                return
            }
            #expect(reasons.count == 1)
            #expect(reasons.first?.hasPrefix("no-such-host.invalid:7946: cannot resolve 'no-such-host.invalid': ") == true,
                    "got \(reasons)")
        }
        // The node runs on (seeds that fail are the one failure it survives), and the API says the same.
        await #expect(throws: GossipNodeError.self) { try await node.join([try Seed(parsing: "no-such-host.invalid:1")]) }
        #expect(try await node.members().map(\.name) == ["dns-unresolved"])
        await node.shutdown()
    }

    @Test func aSeedNameNotAnsweringYetIsLookedUpAgainAndJoinedWhenItsNodeStarts() async throws {
        // Nothing listens on the port at first: connections to it are refused until it is released.
        var held: HeldPort? = try HeldPort()
        let port = try #require(held?.port)
        var configuration = Self.configuration("dns-patient")
        configuration.seeds = [.name(host: "localhost", port: port)]
        configuration.joinRetryInterval = .milliseconds(200)
        configuration.reconnectInterval = .milliseconds(400)
        let patient = try await GossipNode(configuration: configuration)
        await #expect(throws: GossipNodeError.self) { try await patient.start() }

        held = nil
        let late = try await GossipNode(configuration: Self.configuration("dns-late", port: port))
        try await late.start()
        #expect(await LiveHealthTests.waitUntil(timeout: .seconds(10)) { await Self.sees(patient, "dns-late") },
                "the retries of localhost:\(port) never reached the node started there")
        await late.shutdown()
        await patient.shutdown()
    }
}
