import Testing

@testable import GossipRuntime

/// Feeds `text` to a fresh parser and collects every request until none is left or a refusal.
private func parseAll(_ text: String, limits: HTTPRequestLimits = .default) -> (requests: [HTTPRequest], error: HTTPRequestError?) {
    let parser = HTTPRequestParser(limits: limits)
    parser.consume(Array(text.utf8))
    return drain(parser)
}

private func drain(_ parser: HTTPRequestParser) -> (requests: [HTTPRequest], error: HTTPRequestError?) {
    var requests: [HTTPRequest] = []
    for _ in 0..<10_000 {
        do {
            guard let request = try parser.nextRequest() else { return (requests, nil) }
            requests.append(request)
        } catch {
            return (requests, error)
        }
    }
    return (requests, nil)
}

@Suite("HTTP request parser")
struct HTTPParserTests {
    @Test func parsesMethodPathQueryHeadersAndKeepAlive() throws {
        let (requests, error) = parseAll("GET /v1/members?state=alive&x=a%20b+c HTTP/1.1\r\nHost: localhost\r\nX-Trace: one\r\nx-trace: two\r\n\r\n")
        #expect(error == nil)
        let request = try #require(requests.first)
        #expect(requests.count == 1)
        #expect(request.method == .GET)
        #expect(request.target == "/v1/members?state=alive&x=a%20b+c")
        #expect(request.path == "/v1/members")
        #expect(request.query == "state=alive&x=a%20b+c")
        #expect(request.queryValue("state") == "alive")
        #expect(request.queryValue("x") == "a b c")
        #expect(request.headers["HOST"] == "localhost")
        #expect(request.headers.values(for: "X-Trace") == ["one", "two"])
        #expect(request.versionMajor == 1 && request.versionMinor == 1)
        #expect(request.keepAlive)
        #expect(request.body.isEmpty)
    }

    @Test func byteByByteGivesTheSameRequestAsOneBuffer() throws {
        let text = "POST /v1/broadcast HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: 17\r\n\r\n{\"payload\":\"hi\"}\n"
        let whole = parseAll(text)
        let parser = HTTPRequestParser()
        var seenEarly = false
        for byte in Array(text.utf8) {
            if (try? parser.nextRequest()) != nil { seenEarly = true }
            parser.consume([byte])
        }
        let pieces = drain(parser)
        #expect(!seenEarly)
        #expect(whole.error == nil && pieces.error == nil)
        #expect(pieces.requests == whole.requests)
        let request = try #require(pieces.requests.first)
        #expect(request.method == .POST)
        #expect(request.bodyText == "{\"payload\":\"hi\"}\n")
    }

    @Test func pipelinedRequestsComeOutInOrder() {
        let text = (0..<20).map { "GET /r/\($0) HTTP/1.1\r\nHost: a\r\n\r\n" }.joined()
        let (requests, error) = parseAll(text)
        #expect(error == nil)
        #expect(requests.map(\.path) == (0..<20).map { "/r/\($0)" })
    }

    @Test(arguments: [
        ("GET / HTTP/1.0\r\n\r\n", false),
        ("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", true),
        ("GET / HTTP/1.1\r\nConnection: close\r\n\r\n", false),
        ("GET / HTTP/1.1\r\n\r\n", true),
    ])
    func keepAliveFollowsVersionAndConnectionField(text: String, expected: Bool) throws {
        let request = try #require(parseAll(text).requests.first)
        #expect(request.keepAlive == expected)
    }

    @Test func chunkedBodyIsAssembled() throws {
        let text = "POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
        let (requests, error) = parseAll(text)
        #expect(error == nil)
        #expect(try #require(requests.first).bodyText == "hello world")
    }

    @Test(arguments: [
        "GARBAGE\r\n\r\n",
        "GET / HTTP/1.1\r\nHost x\r\n\r\n",
        "GET / FTP/1.1\r\n\r\n",
        "GET /\u{1}path HTTP/1.1\r\n\r\n",
        "POST / HTTP/1.1\r\nContent-Length: 12abc\r\n\r\n",
        "POST / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n",
    ])
    func malformedRequestsAreRefusedWithTheParsersErrno(text: String) {
        let (requests, error) = parseAll(text)
        #expect(requests.isEmpty)
        guard case .malformed(let name, let detail)? = error else {
            Issue.record("expected a malformed refusal, got \(String(describing: error))")
            return
        }
        #expect(name.hasPrefix("HPE_"))
        #expect(!detail.isEmpty)
        #expect(error?.status == .badRequest)
    }

    @Test func invalidMethodNamesTheErrno() {
        #expect(parseAll("BREW /pot HTTP/1.1\r\n\r\n").error == .malformed(name: "HPE_INVALID_METHOD", detail: "invalid HTTP method"))
    }

    @Test func requestsBeforeAMalformedOneAreStillDeliveredThenTheRefusalSticks() throws {
        let parser = HTTPRequestParser()
        parser.consume(Array("GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\nxyz\r\n\r\nGET /c HTTP/1.1\r\n\r\n".utf8))
        #expect(try parser.nextRequest()?.path == "/a")
        #expect(try parser.nextRequest()?.path == "/b")
        #expect(throws: HTTPRequestError.self) { try parser.nextRequest() }
        parser.consume(Array("GET /d HTTP/1.1\r\n\r\n".utf8))
        #expect(throws: HTTPRequestError.self) { try parser.nextRequest() }
        #expect(parser.isStopped)
    }

    @Test func oversizedHeadersAreRefusedBeforeMuchMoreThanTheLimitIsSeen() {
        let limits = HTTPRequestLimits(maxHeaderBytes: 16 * 1024)
        let parser = HTTPRequestParser(limits: limits)
        let chunk = 4096
        var fed = 0
        parser.consume(Array("GET / HTTP/1.1\r\nX-Big: ".utf8))
        // 1 MiB of header value, fed as a socket would deliver it.
        let filler = [UInt8](repeating: UInt8(ascii: "a"), count: chunk)
        while fed < 1 << 20, !parser.isStopped {
            parser.consume(filler)
            fed += chunk
        }
        #expect(parser.isStopped)
        #expect(fed <= limits.maxHeaderBytes + chunk)
        #expect(throws: HTTPRequestError.headersTooLarge(limit: 16 * 1024)) { try parser.nextRequest() }
        #expect(HTTPRequestError.headersTooLarge(limit: 1).status.code == 431)
    }

    @Test func manySmallHeadersHitTheCountLimit() {
        let fields = (0..<101).map { "X-\($0): v\r\n" }.joined()
        let (_, error) = parseAll("GET / HTTP/1.1\r\n\(fields)\r\n", limits: HTTPRequestLimits(maxHeaderCount: 100))
        #expect(error == .tooManyHeaders(limit: 100))
        let (requests, ok) = parseAll("GET / HTTP/1.1\r\n\((0..<100).map { "X-\($0): v\r\n" }.joined())\r\n", limits: HTTPRequestLimits(maxHeaderCount: 100))
        #expect(ok == nil)
        #expect(requests.first?.headers.count == 100)
    }

    @Test func announcedBodyOverTheLimitIsRefusedBeforeAnyBodyByte() {
        let (requests, error) = parseAll("POST /v1/broadcast HTTP/1.1\r\nContent-Length: 10485760\r\n\r\n")
        #expect(requests.isEmpty)
        #expect(error == .bodyTooLarge(limit: 1 << 20))
        #expect(error?.status.code == 413)
    }

    @Test func chunkedBodyOverTheLimitIsRefused() {
        let limits = HTTPRequestLimits(maxBodyBytes: 1000)
        let parser = HTTPRequestParser(limits: limits)
        parser.consume(Array("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n".utf8))
        var chunks = 0
        while chunks < 100, !parser.isStopped {
            parser.consume(Array("64\r\n\(String(repeating: "z", count: 100))\r\n".utf8))
            chunks += 1
        }
        #expect(chunks == 11)
        #expect(throws: HTTPRequestError.bodyTooLarge(limit: 1000)) { try parser.nextRequest() }
    }

    @Test func bodyExactlyAtTheLimitIsAccepted() throws {
        let body = String(repeating: "b", count: 1000)
        let (requests, error) = parseAll("POST / HTTP/1.1\r\nContent-Length: 1000\r\n\r\n\(body)", limits: HTTPRequestLimits(maxBodyBytes: 1000))
        #expect(error == nil)
        #expect(try #require(requests.first).body.count == 1000)
    }

    @Test(arguments: ["PROPFIND", "CONNECT", "MKCALENDAR"])
    func methodsOutsideTheRoutedSetAreUnsupported(method: String) {
        let target = method == "CONNECT" ? "example.com:443" : "/"
        let (requests, error) = parseAll("\(method) \(target) HTTP/1.1\r\n\r\n")
        #expect(requests.isEmpty)
        #expect(error == .unsupportedMethod(method))
        #expect(error?.status.code == 501)
    }

    @Test func httpVersionTwoIsUnsupported() {
        #expect(parseAll("GET / HTTP/2.0\r\n\r\n").error == .unsupportedVersion(major: 2, minor: 0))
    }

    @Test func absoluteFormTargetKeepsOnlyThePath() throws {
        let request = try #require(parseAll("GET http://127.0.0.1:9090/metrics?a=1 HTTP/1.1\r\n\r\n").requests.first)
        #expect(request.path == "/metrics")
        #expect(request.query == "a=1")
    }

    @Test func pipelinedBacklogIsBounded() {
        let limits = HTTPRequestLimits(maxQueuedRequests: 4)
        let text = (0..<10).map { "GET /q/\($0) HTTP/1.1\r\n\r\n" }.joined()
        let (requests, error) = parseAll(text, limits: limits)
        #expect(requests.map(\.path) == ["/q/0", "/q/1", "/q/2", "/q/3"])
        #expect(error == .tooManyPipelinedRequests(limit: 4))
    }

    @Test func pipelinedBacklogBytesAreBounded() {
        let limits = HTTPRequestLimits(maxHeaderBytes: 1024, maxBodyBytes: 1024)
        let body = String(repeating: "p", count: 1000)
        let text = (0..<5).map { "POST /p/\($0) HTTP/1.1\r\nContent-Length: 1000\r\n\r\n\(body)" }.joined()
        let (requests, error) = parseAll(text, limits: limits)
        #expect(requests.count == 2)
        #expect(error == .tooManyPipelinedRequests(limit: limits.maxQueuedRequests))
    }

    @Test func upgradeEndsParsingAndTheConnection() throws {
        let parser = HTTPRequestParser()
        parser.consume(Array("GET /ws HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n\u{0}\u{1}binary".utf8))
        let request = try #require(try parser.nextRequest())
        #expect(request.path == "/ws")
        #expect(!request.keepAlive)
        #expect(parser.isStopped)
        #expect(try parser.nextRequest() == nil)
    }
}
