import GossipRuntime
import ProtocolSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A full admin server makes room instead of refusing: a flood of idle or stalled connections must not
/// lock out the next client (a health probe among them).
@Suite("Admin HTTP server eviction when full")
struct AdminHTTPServerEvictionTests {
    /// What the observer heard, by kind and reason.
    final class Heard: Sendable {
        let events = HTTPTestValue<[String]>([])
        var observer: AdminHTTPServerObserver {
            AdminHTTPServerObserver(
                connectionRefused: { [events] reason in events.update { $0.append("refused:\(reason)") } },
                connectionCutOff: { [events] reason in events.update { $0.append("cut:\(reason)") } },
                requestRefused: { [events] reason in events.update { $0.append("request:\(reason)") } })
        }
        func count(_ event: String) -> Int { events.value.filter { $0 == event }.count }
    }

    func withServer(
        _ configuration: AdminHTTPServerConfiguration, heard: Heard,
        _ body: (AdminHTTPServer) async throws -> Void
    ) async throws {
        try await withLoop { loop in
            let server = try await AdminHTTPServer.start(on: loop, configuration: configuration, observer: heard.observer)
            server.route(.GET, "/echo") { request in HTTPResponse(body: "echo \(request.query ?? "")") }
            do {
                try await body(server)
            } catch {
                await server.stop(timeout: .seconds(1))
                throw error
            }
            await server.stop(timeout: .seconds(1))
        }
    }

    @Test func aNewConnectionTakesThePlaceOfTheOneIdleTheLongest() async throws {
        var configuration = AdminHTTPServerConfiguration()
        configuration.maxConnections = 3
        let heard = Heard()
        try await withServer(configuration, heard: heard) { server in
            let address = server.localAddress
            let result = await runOnDedicatedThread {
                Result { () throws -> (answer: Int, oldestClosed: Bool, othersOpen: Bool) in
                    // Three keep-alive clients, each answered once, the first idle the longest.
                    var clients: [HTTPTestClient] = []
                    for index in 0..<3 {
                        let client = try HTTPTestClient(connectingTo: address, timeoutSeconds: 2)
                        try client.send("GET /echo?c=\(index) HTTP/1.1\r\n\r\n")
                        _ = try client.readResponse()
                        clients.append(client)
                        usleep(20_000)
                    }
                    let newcomer = try HTTPTestClient(connectingTo: address, timeoutSeconds: 2)
                    try newcomer.send("GET /echo?c=new HTTP/1.1\r\n\r\n")
                    let answer = try newcomer.readResponse()
                    let oldestClosed = clients[0].readsEndOfStream()
                    // The others still answer on their kept-alive connections.
                    var othersOpen = true
                    for client in clients[1...] {
                        try client.send("GET /echo HTTP/1.1\r\n\r\n")
                        let status = try client.readResponse().status
                        othersOpen = othersOpen && status == 200
                    }
                    return (answer.status, oldestClosed, othersOpen)
                }
            }
            let outcome = try result.get()
            #expect(outcome.answer == 200)
            #expect(outcome.oldestClosed, "the connection idle the longest was closed to make room")
            #expect(outcome.othersOpen)
            let statistics = try await server.statistics()
            #expect(statistics.connectionsRefused == 0)
            #expect(statistics.cutOffs["evicted"] == 1)
            #expect(heard.count("cut:evicted") == 1)
        }
    }

    @Test func aRequestStalledPastTheBusyAgeGivesWayWhenNoneIsIdle() async throws {
        var configuration = AdminHTTPServerConfiguration()
        configuration.maxConnections = 2
        configuration.busyEvictionAge = .milliseconds(300)
        let heard = Heard()
        try await withServer(configuration, heard: heard) { server in
            let address = server.localAddress
            let result = await runOnDedicatedThread {
                Result { () throws -> (early: Int, late: Int, stalledClosed: Bool) in
                    // Two clients that start a request and never finish it (slowloris).
                    let stalled = try (0..<2).map { _ in try HTTPTestClient(connectingTo: address, timeoutSeconds: 2) }
                    for client in stalled { try client.send("GET /echo HTTP/1.1\r\nX-Slow: 1\r\n") }
                    usleep(50_000)
                    // Younger than the busy age: refused, as before.
                    let early = try HTTPTestClient(connectingTo: address, timeoutSeconds: 2)
                    try early.send("GET /echo HTTP/1.1\r\n\r\n")
                    let earlyStatus = try early.readResponse().status
                    usleep(400_000)
                    let late = try HTTPTestClient(connectingTo: address, timeoutSeconds: 2)
                    try late.send("GET /echo HTTP/1.1\r\n\r\n")
                    let lateStatus = try late.readResponse().status
                    return (earlyStatus, lateStatus, stalled[0].readsEndOfStream())
                }
            }
            let outcome = try result.get()
            #expect(outcome.early == 503)
            #expect(outcome.late == 200)
            #expect(outcome.stalledClosed, "the request stalled the longest was cut")
            #expect(heard.count("refused:too_many_connections") == 1)
            #expect(heard.count("cut:evicted") == 1)
        }
    }

    /// The measured attack, scaled down to the server level (the node test AdminFloodTests replays it at
    /// full size: 500 connections against 64 places): 120 connections opened and held against 8 places
    /// while a client asks every 100 ms; every answer comes, and in time.
    @Test func aFloodOfIdleConnectionsNeverLocksOutTheNextRequest() async throws {
        let heard = Heard()
        var configuration = AdminHTTPServerConfiguration()
        configuration.maxConnections = 8
        try await withServer(configuration, heard: heard) { server in
            let address = server.localAddress
            async let flood = runOnDedicatedThread {
                Result { () throws -> Int in
                    var held: [HTTPTestClient] = []
                    for _ in 0..<120 { held.append(try HTTPTestClient(connectingTo: address, timeoutSeconds: 2)) }
                    usleep(1_500_000)
                    return held.count
                }
            }
            let probes = await runOnDedicatedThread {
                Result { () throws -> [Int] in
                    var slowest = 0
                    var statuses: [Int] = []
                    for _ in 0..<15 {
                        let start = ContinuousClock.now
                        let client = try HTTPTestClient(connectingTo: address, timeoutSeconds: 5)
                        try client.send("GET /echo HTTP/1.1\r\n\r\n")
                        statuses.append(try client.readResponse().status)
                        slowest = max(slowest, Int((ContinuousClock.now - start) / .milliseconds(1)))
                        usleep(100_000)
                    }
                    return statuses + [slowest]
                }
            }
            #expect(try await flood.get() == 120)
            var answers = try probes.get()
            let slowest = answers.removeLast()
            #expect(answers == Array(repeating: 200, count: 15))
            // Each probe was answered 200 within its client's 5 s: no lock-out (the old server answered 503 at
            // once, for 20 s). How fast is not asserted: under ASan, beside the other suites on two busy
            // cores, it has taken seconds, and milliseconds in a plain debug build alone.
            print("a probe through the idle flood: slowest \(slowest) ms")
            #expect(heard.count("cut:evicted") >= 112, "120 + 15 connections through 8 places")
            #expect(heard.count("refused:too_many_connections") == 0)
        }
    }
}
