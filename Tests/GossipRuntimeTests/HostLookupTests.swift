import GossipRuntime
import ProtocolSupport
import Testing

/// Host names looked up with uv_getaddrinfo: the answer on the loop thread, the resolver's own words for a
/// failure. Only /etc/hosts (`localhost`) and the reserved `.invalid` domain, which never resolves
/// (RFC 2606): nothing here depends on a DNS server.
@Suite("HostLookup: names resolved on libuv's thread pool, answered on the loop")
struct HostLookupTests {
    /// Starts a lookup on the loop and waits (bounded) for its answer, noting whether it came on the loop thread.
    static func lookUp(_ host: String, on loop: EventLoop) async throws -> (result: Result<[SocketAddress], HostLookupError>, onLoop: Bool) {
        let answer = Locked<(Result<[SocketAddress], HostLookupError>, Bool)?>(nil)
        _ = try await loop.submit {
            _ = HostLookup.resolve(host, on: loop) { result in answer.update { $0 = (result, loop.inLoopThread) } }
        }
        let answered = await eventually(timeout: .seconds(10)) { answer.value != nil }
        let value = try #require(answer.value, "no answer for \(host) within 10 s (answered: \(answered))")
        return (value.0, value.1)
    }

    @Test("localhost resolves through /etc/hosts to its loopback address, answered on the loop thread")
    func localhostResolves() async throws {
        try await withLoop { loop in
            let (result, onLoop) = try await Self.lookUp("localhost", on: loop)
            #expect(onLoop)
            let addresses = try result.get()
            #expect(addresses.contains(SocketAddress(ipv4: 127, 0, 0, 1, port: 0)), "got \(addresses)")
            #expect(Set(addresses).count == addresses.count, "an address was listed twice: \(addresses)")
            // IPv4 first, as the port-less addresses the node core adds the seed's port to.
            #expect(addresses.first?.isIPv6 == false && addresses.allSatisfy { $0.port == 0 })
        }
    }

    @Test("a name that does not exist fails as not found, naming it in gai_strerror's words")
    func unknownNameFails() async throws {
        try await withLoop { loop in
            let (result, onLoop) = try await Self.lookUp("no-such-host.invalid", on: loop)
            #expect(onLoop)
            guard case .failure(let error) = result else {
                Issue.record("no-such-host.invalid resolved: \(result)")
                return
            }
            // Not found where the resolver can say so; a sandbox without any DNS answers "try again".
            #expect(error.kind == .notFound || error.kind == .temporaryFailure, "got \(error.kind)")
            #expect(error.host == "no-such-host.invalid")
            #expect("\(error)".hasPrefix("cannot resolve 'no-such-host.invalid': ") && !error.reason.isEmpty, "got \(error)")
        }
    }

    @Test("a lookup under way at shutdown is answered exactly once, and the shutdown ends")
    func shutdownWithALookupUnderWay() async throws {
        let loop = try EventLoop(name: "lookup-shutdown")
        let answers = Locked<[Result<[SocketAddress], HostLookupError>]>([])
        _ = try await loop.submit {
            _ = HostLookup.resolve("localhost", on: loop) { result in answers.update { $0.append(result) } }
        }
        await loop.shutdown()
        // Cancelled if it had not reached the thread pool, else answered: once either way.
        #expect(answers.value.count == 1, "answered \(answers.value.count) times")
        if case .failure(let error) = answers.value.first { #expect(error.kind == .cancelled, "got \(error)") }
    }
}
