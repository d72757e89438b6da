import GossipRuntime
import ProtocolSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Starts a server on a fresh loop with `configure` applied, runs `body`, then stops the server and
/// shuts the loop down.
private func withServer(
    _ configuration: AdminHTTPServerConfiguration = AdminHTTPServerConfiguration(),
    routes: (AdminHTTPServer) -> Void = { _ in },
    _ body: (AdminHTTPServer) async throws -> Void
) async throws {
    try await withLoop { loop in
        let server = try await AdminHTTPServer.start(on: loop, configuration: configuration)
        routes(server)
        do {
            try await body(server)
        } catch {
            await server.stop(timeout: .seconds(1))
            throw error
        }
        await server.stop(timeout: .seconds(1))
    }
}

/// The routes most tests use: an echo of the query, a slow async answer and a responder answering from
/// another task.
private func standardRoutes(_ server: AdminHTTPServer) {
    server.route(.GET, "/echo") { request in HTTPResponse(body: "echo \(request.query ?? "")") }
    server.route(.POST, "/v1/broadcast") { request in
        HTTPResponse(status: .accepted, contentType: "application/json", body: "{\"bytes\":\(request.body.count)}")
    }
    server.route(.GET, "/slow") { request async -> HTTPResponse in
        let delay = Int(request.queryValue("ms") ?? "0") ?? 0
        try? await Task.sleep(for: .milliseconds(delay))
        return HTTPResponse(body: "slow \(request.query ?? "")")
    }
    server.route(.GET, "/later", responder: { request, responder in
        Task.detached {
            try? await Task.sleep(for: .milliseconds(100))
            responder.respond(HTTPResponse(body: "later \(request.path)"))
        }
    })
}

/// Opens a client, sends `text`, reads `count` responses (fewer if the connection ends), and reports
/// whether the server then closed the connection.
private func exchange(
    _ address: SocketAddress, _ text: String, responses count: Int, thenExpectClose: Bool = false
) async -> Result<(responses: [HTTPTestResponse], closed: Bool), any Error> {
    await runOnDedicatedThread {
        Result {
            let client = try HTTPTestClient(connectingTo: address)
            try client.send(text)
            var responses: [HTTPTestResponse] = []
            for _ in 0..<count { responses.append(try client.readResponse()) }
            return (responses, thenExpectClose ? client.readsEndOfStream() : false)
        }
    }
}

/// Sends a request head one short header line every 50 ms, never finishing it; true once the server
/// cuts the connection, false if it never does within 5 s.
private func trickleHeaders(to address: SocketAddress) throws -> Bool {
    let client = try HTTPTestClient(connectingTo: address)
    try client.send("GET /echo HTTP/1.1\r\n")
    for index in 0..<100 {
        do {
            try client.send("X-\(index): v\r\n")
        } catch {
            return true
        }
        usleep(50_000)
    }
    return false
}

@Suite("Admin HTTP server on loopback")
struct AdminHTTPServerTests {
    @Test func listensOnLoopbackWithAnOSChosenPort() async throws {
        try await withServer(routes: standardRoutes) { server in
            #expect(server.localAddress.host == "127.0.0.1")
            #expect(server.localAddress.port != 0)
            let result = try await exchange(server.localAddress, "GET /echo?x=1 HTTP/1.1\r\nHost: a\r\n\r\n", responses: 1).get()
            let response = try #require(result.responses.first)
            #expect(response.status == 200)
            #expect(response.text == "echo x=1")
            #expect(response.header("Connection") == "keep-alive")
            #expect(response.header("Date")?.hasSuffix(" GMT") == true)
        }
    }

    @Test func concurrentKeepAliveClientsEachGetEveryAnswerRight() async throws {
        try await withServer(routes: standardRoutes) { server in
            let address = server.localAddress
            let results = await withTaskGroup(of: Result<Int, any Error>.self) { group in
                for clientIndex in 0..<8 {
                    group.addTask {
                        await runOnDedicatedThread {
                            Result {
                                let client = try HTTPTestClient(connectingTo: address)
                                for requestIndex in 0..<50 {
                                    // Every fifth request goes through an async handler.
                                    let path = requestIndex % 5 == 4 ? "/slow" : "/echo"
                                    try client.send("GET \(path)?c=\(clientIndex)&r=\(requestIndex) HTTP/1.1\r\nHost: a\r\n\r\n")
                                    let response = try client.readResponse()
                                    let expected = (path == "/slow" ? "slow" : "echo") + " c=\(clientIndex)&r=\(requestIndex)"
                                    guard response.status == 200, response.text == expected, response.header("Connection") == "keep-alive" else {
                                        throw HTTPTestClientError(description: "client \(clientIndex) request \(requestIndex): \(response.status) \(response.text)")
                                    }
                                }
                                return 50
                            }
                        }
                    }
                }
                var all: [Result<Int, any Error>] = []
                for await result in group { all.append(result) }
                return all
            }
            for result in results { #expect(try result.get() == 50) }
            let statistics = try await server.statistics()
            #expect(statistics.connectionsAccepted == 8)
            #expect(statistics.responses == 400)
            #expect(statistics.refusals.isEmpty)
        }
    }

    @Test func pipelinedRequestsAreAnsweredInOrder() async throws {
        try await withServer(routes: standardRoutes) { server in
            // Earlier async requests take longer, so answering in completion order would reverse them.
            let paths = (0..<12).map { $0 % 2 == 0 ? "/slow?ms=\(60 - 5 * $0)" : "/echo?n=\($0)" } + ["/later"]
            let text = paths.map { "GET \($0) HTTP/1.1\r\nHost: a\r\n\r\n" }.joined()
            let result = try await exchange(server.localAddress, text, responses: paths.count).get()
            #expect(result.responses.map(\.text) == paths.map { path in
                if path == "/later" { return "later /later" }
                let parts = path.split(separator: "?")
                return (parts[0] == "/slow" ? "slow " : "echo ") + parts[1]
            })
        }
    }

    @Test func malformedRequestGets400AndTheConnectionCloses() async throws {
        try await withServer(routes: standardRoutes) { server in
            let result = try await exchange(server.localAddress, "GET /echo HTTP/1.1\r\n\r\nNOT HTTP\r\n\r\n", responses: 2, thenExpectClose: true).get()
            #expect(result.responses.map(\.status) == [200, 400])
            #expect(result.responses[1].header("Connection") == "close")
            #expect(result.responses[1].text.contains("HPE_INVALID_METHOD"))
            #expect(result.closed)
            #expect(try await server.statistics().refusals == ["malformed": 1])
        }
    }

    @Test func oneMiBHeaderIsRefusedAndClosedWhileOthersAreServed() async throws {
        try await withServer(routes: standardRoutes) { server in
            let address = server.localAddress
            // A client that keeps its connection open across the attack.
            let bystander = await runOnDedicatedThread { Result { try HTTPTestClient(connectingTo: address) } }
            let attack = await runOnDedicatedThread {
                Result { () throws -> (HTTPTestResponse, Bool) in
                    let client = try HTTPTestClient(connectingTo: address)
                    let big = "GET /echo HTTP/1.1\r\nX-Big: " + String(repeating: "a", count: 1 << 20) + "\r\n\r\n"
                    // The server may stop reading before all of it is sent; the answer must arrive anyway.
                    try? client.send(big)
                    return (try client.readResponse(), client.readsEndOfStream())
                }
            }
            let (refusal, closed) = try attack.get()
            #expect(refusal.status == 431)
            #expect(refusal.header("Connection") == "close")
            #expect(closed)
            let client = try bystander.get()
            let answer = await runOnDedicatedThread {
                Result { () throws -> String in
                    try client.send("GET /echo?still=1 HTTP/1.1\r\n\r\n")
                    return try client.readResponse().text
                }
            }
            #expect(try answer.get() == "echo still=1")
            let fresh = try await exchange(address, "GET /echo?fresh=1 HTTP/1.1\r\n\r\n", responses: 1).get()
            #expect(fresh.responses.first?.text == "echo fresh=1")
            #expect(try await server.statistics().refusals == ["headers_too_large": 1])
        }
    }

    @Test func unknownPathIs404JSONAndTheConnectionStaysOpen() async throws {
        try await withServer(routes: standardRoutes) { server in
            let result = try await exchange(server.localAddress, "GET /nope?q=1 HTTP/1.1\r\n\r\nGET /echo HTTP/1.1\r\n\r\n", responses: 2).get()
            let notFound = result.responses[0]
            #expect(notFound.status == 404)
            #expect(notFound.header("Content-Type") == "application/json")
            #expect(notFound.text == #"{"error":"not found","path":"/nope"}"#)
            #expect(result.responses[1].status == 200)
        }
    }

    @Test func wrongMethodIs405() async throws {
        try await withServer(routes: standardRoutes) { server in
            let result = try await exchange(server.localAddress, "DELETE /echo HTTP/1.1\r\n\r\n", responses: 1).get()
            #expect(result.responses.first?.status == 405)
            #expect(result.responses.first?.header("Allow") == "GET, HEAD")
        }
    }

    @Test func postBodyReachesTheHandlerAndAnOversizedOneIs413() async throws {
        var configuration = AdminHTTPServerConfiguration()
        configuration.limits.maxBodyBytes = 64 * 1024
        try await withServer(configuration, routes: standardRoutes) { server in
            let body = String(repeating: "p", count: 64 * 1024)
            let accepted = try await exchange(
                server.localAddress, "POST /v1/broadcast HTTP/1.1\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)", responses: 1
            ).get()
            #expect(accepted.responses.first?.status == 202)
            #expect(accepted.responses.first?.text == "{\"bytes\":65536}")
            let tooLarge = try await exchange(
                server.localAddress, "POST /v1/broadcast HTTP/1.1\r\nContent-Length: \(64 * 1024 + 1)\r\n\r\n\(body)p",
                responses: 1, thenExpectClose: true
            ).get()
            #expect(tooLarge.responses.first?.status == 413)
            #expect(tooLarge.closed)
            #expect(try await server.statistics().refusals == ["body_too_large": 1])
        }
    }

    @Test func slowAsyncAnswerIsNotMistakenForAnIdleClient() async throws {
        var configuration = AdminHTTPServerConfiguration()
        configuration.idleTimeout = .milliseconds(100)
        try await withServer(configuration, routes: standardRoutes) { server in
            let result = try await exchange(server.localAddress, "GET /slow?ms=400 HTTP/1.1\r\n\r\nGET /later HTTP/1.1\r\n\r\n", responses: 2).get()
            #expect(result.responses.map(\.text) == ["slow ms=400", "later /later"])
        }
    }

    @Test func idleKeepAliveConnectionIsClosedAfterTheIdleTimeout() async throws {
        var configuration = AdminHTTPServerConfiguration()
        configuration.idleTimeout = .milliseconds(200)
        try await withServer(configuration, routes: standardRoutes) { server in
            let clock = ContinuousClock()
            let start = clock.now
            let result = try await exchange(server.localAddress, "GET /echo HTTP/1.1\r\n\r\n", responses: 1, thenExpectClose: true).get()
            #expect(result.closed)
            #expect(clock.now - start >= .milliseconds(200))
            #expect(try await eventually { try await server.statistics().cutOffs["idle_timeout"] == 1 })
        }
    }

    @Test func connectionsOverTheCapAre503AndClosedWhenNoneMayBeEvicted() async throws {
        var configuration = AdminHTTPServerConfiguration()
        configuration.maxConnections = 2
        // Requests in progress are not evicted before this age (idle connections would be: see
        // AdminHTTPServerEvictionTests).
        configuration.busyEvictionAge = .seconds(60)
        try await withServer(configuration, routes: standardRoutes) { server in
            let address = server.localAddress
            let holders = await runOnDedicatedThread {
                Result { () throws -> [HTTPTestClient] in
                    let clients = try (0..<2).map { _ in try HTTPTestClient(connectingTo: address) }
                    for client in clients { try client.send("GET /echo HTTP/1.1\r\n") }
                    return clients
                }
            }
            #expect(try await eventually { try await server.statistics().openConnections == 2 })
            // Let the server read the partial requests (loopback: well under a millisecond).
            try await Task.sleep(for: .milliseconds(200))
            let clients = try holders.get()
            let refused = try await exchange(address, "GET /echo HTTP/1.1\r\n\r\n", responses: 1, thenExpectClose: true).get()
            #expect(refused.responses.first?.status == 503)
            #expect(refused.closed)
            #expect(try await server.statistics().connectionsRefused == 1)
            _ = clients
        }
    }

    @Test func stopLetsTheOutstandingAnswerOutThenRefusesNewConnections() async throws {
        let started = HTTPTestValue(false)
        let routes = { (server: AdminHTTPServer) in
            server.route(.GET, "/slow") { request async -> HTTPResponse in
                started.set(true)
                try? await Task.sleep(for: .milliseconds(300))
                return HTTPResponse(body: "slow \(request.query ?? "")")
            }
        }
        try await withServer(routes: routes) { server in
            let address = server.localAddress
            async let pending = exchange(address, "GET /slow?ms=300 HTTP/1.1\r\n\r\n", responses: 1, thenExpectClose: true)
            #expect(await eventually { started.value })
            await server.stop()
            let result = try await pending.get()
            #expect(result.responses.first?.text == "slow ms=300")
            #expect(result.responses.first?.header("Connection") == "close")
            #expect(result.closed)
            #expect(await !server.isListening())
            let refused = await runOnDedicatedThread { Result { try HTTPTestClient(connectingTo: address) } }
            #expect(throws: HTTPTestClientError.self) { try refused.get() }
            await server.stop()
        }
    }

    @Test func loopShutdownClosesTheServerAndItsConnections() async throws {
        let loop = try EventLoop(name: "http-shutdown")
        let server = try await AdminHTTPServer.start(on: loop)
        standardRoutes(server)
        let address = server.localAddress
        let opened = await runOnDedicatedThread {
            Result { () throws -> HTTPTestClient in
                let client = try HTTPTestClient(connectingTo: address)
                try client.send("GET /echo HTTP/1.1\r\n\r\n")
                _ = try client.readResponse()
                return client
            }
        }
        let client = try opened.get()
        await loop.shutdown()
        let closed = await runOnDedicatedThread { client.readsEndOfStream() }
        #expect(closed)
        await server.stop()
        await #expect(throws: RuntimeError.loopShutDown) { try await server.statistics() }
    }

    @Test func bindingAPortInUseNamesTheAddress() async throws {
        try await withServer { server in
            var configuration = AdminHTTPServerConfiguration()
            configuration.address = server.localAddress
            await #expect(throws: RuntimeError.addressInUse(server.localAddress)) {
                try await AdminHTTPServer.start(on: server.loop, configuration: configuration)
            }
        }
    }

    @Test func headAnswerIsFramedWithoutABodyAndConnectionCloseIsHonoured() async throws {
        try await withServer(routes: standardRoutes) { server in
            let address = server.localAddress
            let result = await runOnDedicatedThread {
                Result { () throws -> ([HTTPTestResponse], Bool) in
                    let client = try HTTPTestClient(connectingTo: address)
                    try client.send("HEAD /echo?h=1 HTTP/1.1\r\n\r\nGET /echo?g=2 HTTP/1.1\r\nConnection: close\r\n\r\nGET /echo HTTP/1.1\r\n\r\n")
                    let head = try client.readResponse(expectBody: false)
                    let get = try client.readResponse()
                    return ([head, get], client.readsEndOfStream())
                }
            }
            let (responses, closed) = try result.get()
            #expect(responses[0].status == 200)
            #expect(responses[0].header("Content-Length") == "8")  // "echo h=1", not sent
            #expect(responses[1].text == "echo g=2")
            #expect(responses[1].header("Connection") == "close")
            #expect(closed)
        }
    }

    @Test func clientThatHalfClosesAfterItsRequestsStillGetsTheAnswers() async throws {
        try await withServer(routes: standardRoutes) { server in
            let address = server.localAddress
            let result = await runOnDedicatedThread {
                Result { () throws -> ([String], Bool) in
                    let client = try HTTPTestClient(connectingTo: address)
                    try client.send("GET /slow?ms=50 HTTP/1.1\r\n\r\nGET /echo?after=1 HTTP/1.1\r\n\r\n")
                    client.shutdownWrite()
                    let texts = [try client.readResponse().text, try client.readResponse().text]
                    return (texts, client.readsEndOfStream())
                }
            }
            let (texts, closed) = try result.get()
            #expect(texts == ["slow ms=50", "echo after=1"])
            #expect(closed)
        }
    }

    @Test func requestTricklingInPastTheRequestTimeoutIsCutOff() async throws {
        var configuration = AdminHTTPServerConfiguration()
        configuration.requestTimeout = .milliseconds(300)
        configuration.idleTimeout = .seconds(10)
        try await withServer(configuration, routes: standardRoutes) { server in
            let address = server.localAddress
            let cutOff = await runOnDedicatedThread { Result { try trickleHeaders(to: address) } }
            let wasCutOff = try cutOff.get()
            #expect(wasCutOff)
            #expect(try await server.statistics().cutOffs["request_timeout"] == 1)
        }
    }

    @Test func clientExpecting100ContinueGetsItBeforeSendingTheBody() async throws {
        try await withServer(routes: standardRoutes) { server in
            let address = server.localAddress
            let result = await runOnDedicatedThread {
                Result { () throws -> (Int, HTTPTestResponse) in
                    let client = try HTTPTestClient(connectingTo: address)
                    try client.send("POST /v1/broadcast HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 5000\r\n\r\n")
                    let interim = try client.readResponse()
                    try client.send(String(repeating: "b", count: 5000))
                    return (interim.status, try client.readResponse())
                }
            }
            let (interim, final) = try result.get()
            #expect(interim == 100)
            #expect(final.status == 202)
            #expect(final.text == "{\"bytes\":5000}")
        }
    }

    @Test func clientNotReadingItsAnswersIsNotReadEitherAndGetsThemAllInOrder() async throws {
        var configuration = AdminHTTPServerConfiguration()
        configuration.maxPendingWriteBytes = 128 * 1024
        let routes = { (server: AdminHTTPServer) in
            server.route(.GET, "/big") { request in
                // 256 KiB whose first line names the request.
                let tag = "big \(request.query ?? "")\n"
                return HTTPResponse(body: Array(tag.utf8) + [UInt8](repeating: UInt8(ascii: "z"), count: 256 * 1024 - tag.utf8.count))
            }
        }
        try await withServer(configuration, routes: routes) { server in
            let address = server.localAddress
            let sent = await runOnDedicatedThread {
                Result { () throws -> HTTPTestClient in
                    let client = try HTTPTestClient(connectingTo: address, timeoutSeconds: 30)
                    // 48 answers of 256 KiB (12 MiB) are far more than the socket buffers hold while
                    // the client reads nothing.
                    try client.send((0..<48).map { "GET /big?n=\($0) HTTP/1.1\r\n\r\n" }.joined())
                    return client
                }
            }
            let client = try sent.get()
            // The client reads nothing until the server has stopped reading for its unsent answers; a
            // fixed sleep let a slow (sanitized) server still be producing when the client began draining.
            let paused = await eventually(timeout: .seconds(30)) {
                ((try? await server.statistics())?.readPausesForWrites ?? 0) >= 1
            }
            #expect(paused, "waited 30 s for the server to pause reading behind 128 KiB of unsent answers")
            let result = await runOnDedicatedThread {
                Result { () throws -> [String] in
                    try (0..<48).map { _ in
                        let response = try client.readResponse()
                        guard response.body.count == 256 * 1024 else { throw HTTPTestClientError(description: "short body") }
                        return String(decoding: response.body.prefix(while: { $0 != 10 }), as: UTF8.self)
                    }
                }
            }
            #expect(try result.get() == (0..<48).map { "big n=\($0)" })
            let statistics = try await server.statistics()
            #expect(statistics.responses == 48)
        }
    }
}
