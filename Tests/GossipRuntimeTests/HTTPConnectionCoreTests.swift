import Testing

@testable import GossipRuntime

/// Drives an HTTPConnectionCore the way the server does, with this test's thread standing in for the
/// loop thread: deferred answers are queued by the deliverer and completed here.
private final class CoreHarness {
    let core: HTTPConnectionCore
    let deferred = HTTPTestValue<[(UInt64, HTTPResponse)]>([])
    var actions: [HTTPConnectionAction] = []

    init(router: HTTPRouter, limits: HTTPRequestLimits = .default) {
        let deferred = self.deferred
        core = HTTPConnectionCore(router: router, limits: limits, date: { nil }) { ticket in
            { response in deferred.update { $0.append((ticket, response)) } }
        }
    }

    func send(_ text: String) { core.receive(Array(text.utf8), into: &actions) }

    /// Completes deferred answers as they arrive until `done` holds or 30 s pass. The slow handlers sleep
    /// 40 ms at most, but they resume on the shared cooperative pool, which the suites running beside this
    /// one can hold for seconds on a loaded 2-core machine (5 s was once not enough).
    func runDeferred(until done: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while !done(), ContinuousClock.now < deadline {
            let ready = deferred.update { queue in defer { queue.removeAll() }; return queue }
            for (ticket, response) in ready { core.complete(ticket: ticket, with: response, into: &actions) }
            if ready.isEmpty { try await Task.sleep(for: .milliseconds(2)) }
        }
    }

    var writes: [String] {
        actions.compactMap { if case .write(let bytes) = $0 { String(decoding: bytes, as: UTF8.self) } else { nil } }
    }
    var closed: Bool { actions.last == .close }
}

private func bodyOf(_ response: String) -> Substring {
    response.firstRange(of: "\r\n\r\n").map { response[$0.upperBound...] } ?? ""
}

@Suite("HTTP connection (without sockets)")
struct HTTPConnectionCoreTests {
    private func mixedRouter() -> HTTPRouter {
        let router = HTTPRouter()
        router.route(.GET, "/fast") { request in HTTPResponse(body: "fast \(request.query ?? "")") }
        router.route(.GET, "/slow") { request async -> HTTPResponse in
            // Later requests sleep less, so completion order is the reverse of request order.
            let delay = 40 - (Int(request.queryValue("n") ?? "0") ?? 0)
            try? await Task.sleep(for: .milliseconds(max(delay, 0)))
            return HTTPResponse(body: "slow \(request.query ?? "")")
        }
        return router
    }

    @Test func pipelinedMixOfImmediateAndDeferredAnswersInRequestOrder() async throws {
        let harness = CoreHarness(router: mixedRouter())
        let paths = (0..<30).map { $0 % 3 == 0 ? "/slow?n=\($0)" : "/fast?n=\($0)" }
        harness.send(paths.map { "GET \($0) HTTP/1.1\r\nHost: x\r\n\r\n" }.joined())
        try await harness.runDeferred { harness.writes.count == 30 }
        #expect(harness.writes.map { String(bodyOf($0)) } == paths.map { ($0.hasPrefix("/slow") ? "slow " : "fast ") + $0.split(separator: "?")[1] })
        #expect(harness.writes.allSatisfy { $0.contains("Connection: keep-alive\r\n") })
        #expect(!harness.closed)
        #expect(harness.core.isIdle)
    }

    @Test func malformedRequestAfterGoodOnesIsAnswered400ThenClosed() throws {
        let harness = CoreHarness(router: mixedRouter())
        harness.send("GET /fast?n=1 HTTP/1.1\r\n\r\nGET /nope HTTP/1.1\r\n\r\nNOT HTTP AT ALL\r\n\r\nGET /fast HTTP/1.1\r\n\r\n")
        let writes = harness.writes
        try #require(writes.count == 3)
        #expect(writes[0].hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(writes[1].hasPrefix("HTTP/1.1 404 Not Found\r\n"))
        #expect(bodyOf(writes[1]) == #"{"error":"not found","path":"/nope"}"#)
        #expect(writes[2].hasPrefix("HTTP/1.1 400 Bad Request\r\n"))
        #expect(writes[2].contains("Connection: close\r\n"))
        #expect(bodyOf(writes[2]).contains("HPE_INVALID_METHOD"))
        #expect(harness.closed)
        #expect(harness.core.refusal == .malformed(name: "HPE_INVALID_METHOD", detail: "invalid HTTP method"))
        harness.send("GET /fast HTTP/1.1\r\n\r\n")
        #expect(harness.writes.count == 3)
    }

    @Test func oversizedBodyIsAnswered413ThenClosed() {
        let harness = CoreHarness(router: mixedRouter(), limits: HTTPRequestLimits(maxBodyBytes: 100))
        harness.send("POST /fast HTTP/1.1\r\nContent-Length: 101\r\n\r\n")
        #expect(harness.writes.count == 1)
        #expect(harness.writes.first?.hasPrefix("HTTP/1.1 413 Payload Too Large\r\n") == true)
        #expect(harness.closed)
    }

    @Test func connectionCloseRequestIsAnsweredThenClosed() {
        let harness = CoreHarness(router: mixedRouter())
        harness.send("GET /fast HTTP/1.1\r\nConnection: close\r\n\r\nGET /fast HTTP/1.1\r\n\r\n")
        #expect(harness.writes.count == 1)
        #expect(harness.writes.first?.contains("Connection: close\r\n") == true)
        #expect(harness.closed)
    }

    @Test func headAnswerHasLengthButNoBody() {
        let harness = CoreHarness(router: mixedRouter())
        harness.send("HEAD /fast HTTP/1.1\r\n\r\n")
        #expect(harness.writes == ["HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 5\r\nConnection: keep-alive\r\n\r\n"])
    }

    @Test func drainingAnswersTheOutstandingRequestWithCloseThenCloses() async throws {
        let harness = CoreHarness(router: mixedRouter())
        harness.send("GET /slow?n=0 HTTP/1.1\r\n\r\nGET /fast HTTP/1.1\r\n\r\n")
        #expect(harness.core.isWaitingForHandler)
        harness.core.drain(into: &harness.actions)
        #expect(!harness.closed)
        try await harness.runDeferred { harness.closed }
        #expect(harness.writes.count == 1)
        #expect(harness.writes.first?.contains("Connection: close\r\n") == true)
        #expect(harness.closed)
    }

    @Test func staleTicketsAreIgnored() {
        let harness = CoreHarness(router: mixedRouter())
        harness.core.complete(ticket: 99, with: HTTPResponse(body: "stray"), into: &harness.actions)
        harness.send("GET /fast HTTP/1.1\r\n\r\n")
        harness.core.complete(ticket: 1, with: HTTPResponse(body: "stray"), into: &harness.actions)
        #expect(harness.writes.count == 1)
        #expect(harness.writes.first.map { bodyOf($0) } == "fast ")
    }

    @Test func expectContinueGetsAnInterimAnswerOnlyForTheCurrentRequest() async throws {
        let router = mixedRouter()
        router.route(.POST, "/upload") { request in HTTPResponse(body: "got \(request.body.count)") }
        let harness = CoreHarness(router: router)
        harness.send("POST /upload HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n")
        #expect(harness.actions == [.writeInterim(Array("HTTP/1.1 100 Continue\r\n\r\n".utf8))])
        harness.send("abc")
        #expect(harness.writes.last.map { bodyOf($0) } == "got 3")
        // Behind an outstanding answer, no interim answer: it would land before the earlier response.
        harness.actions.removeAll()
        harness.send("GET /slow?n=0 HTTP/1.1\r\n\r\nPOST /upload HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n")
        #expect(harness.actions.isEmpty)
        harness.send("xy")
        try await harness.runDeferred { harness.writes.count == 2 }
        #expect(harness.writes.map { String(bodyOf($0)) } == ["slow n=0", "got 2"])
        // A body announced over the limit is refused at once, without an interim answer.
        let small = CoreHarness(router: router, limits: HTTPRequestLimits(maxBodyBytes: 10))
        small.send("POST /upload HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 11\r\n\r\n")
        #expect(small.writes.count == 1)
        #expect(small.writes.first?.hasPrefix("HTTP/1.1 413 ") == true)
        #expect(small.closed)
    }

    @Test func writeBudgetHoldsQueuedRequestsUntilTheSocketCatchesUp() {
        let harness = CoreHarness(router: mixedRouter())
        let unsent = HTTPTestValue(0)
        harness.core.writeBudget = 100
        harness.core.unsentBytes = { unsent.value }
        harness.send((0..<5).map { "GET /fast?n=\($0) HTTP/1.1\r\n\r\n" }.joined())
        // Each answer is about 100 bytes: the first goes, then the budget is spent within this pump.
        #expect(harness.writes.count == 1)
        #expect(harness.core.hasQueuedRequests)
        #expect(!harness.core.isIdle)
        unsent.set(1_000)
        harness.core.resume(into: &harness.actions)
        #expect(harness.writes.count == 1)
        unsent.set(0)
        for _ in 0..<10 where harness.core.hasQueuedRequests { harness.core.resume(into: &harness.actions) }
        #expect(harness.writes.map { String(bodyOf($0)) } == (0..<5).map { "fast n=\($0)" })
        #expect(harness.core.isIdle)
    }
}
