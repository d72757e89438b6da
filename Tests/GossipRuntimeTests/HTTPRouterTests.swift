import Testing

@testable import GossipRuntime

@Suite("HTTP router")
struct HTTPRouterTests {
    private func request(_ method: HTTPMethod, _ target: String) -> HTTPRequest {
        HTTPRequest(method: method, target: target)
    }

    private func answerAtOnce(_ router: HTTPRouter, _ request: HTTPRequest) -> HTTPResponse? {
        router.dispatch(request) { _ in Issue.record("expected an immediate answer") }
    }

    @Test func immediateHandlerAnswersOnTheCallingThread() throws {
        let router = HTTPRouter()
        router.route(.GET, "/metrics") { request in
            HTTPResponse(contentType: "text/plain; version=0.0.4", body: "up 1\nquery \(request.query ?? "-")\n")
        }
        let response = try #require(answerAtOnce(router, request(.GET, "/metrics?debug=1")))
        #expect(response.status == .ok)
        #expect(response.contentType == "text/plain; version=0.0.4")
        #expect(response.bodyText == "up 1\nquery debug=1\n")
    }

    @Test func unknownPathIsA404WithAShortJSONError() throws {
        let router = HTTPRouter()
        router.route(.GET, "/metrics") { _ in HTTPResponse(body: "x") }
        let response = try #require(answerAtOnce(router, request(.GET, "/nope?x=1")))
        #expect(response.status.code == 404)
        #expect(response.contentType == "application/json")
        #expect(response.bodyText == #"{"error":"not found","path":"/nope"}"#)
        // The path is escaped, so a hostile path cannot break the JSON.
        let hostile = try #require(answerAtOnce(router, request(.GET, #"/a"b\c"#)))
        #expect(hostile.bodyText == #"{"error":"not found","path":"/a\"b\\c"}"#)
    }

    @Test func knownPathWithAnotherMethodIsA405WithAllow() throws {
        let router = HTTPRouter()
        router.route(.GET, "/v1/members") { _ in HTTPResponse(body: "[]") }
        router.route(.POST, "/v1/broadcast") { _ in HTTPResponse(status: .accepted, body: "") }
        let wrongMethod = try #require(answerAtOnce(router, request(.POST, "/v1/members")))
        #expect(wrongMethod.status.code == 405)
        #expect(wrongMethod.headers["Allow"] == "GET, HEAD")
        #expect(wrongMethod.bodyText == #"{"error":"method not allowed","method":"POST","path":"/v1/members"}"#)
        let post = try #require(answerAtOnce(router, HTTPRequest(method: .POST, target: "/v1/broadcast", body: Array("hi".utf8))))
        #expect(post.status == .accepted)
        let getOnPost = try #require(answerAtOnce(router, request(.GET, "/v1/broadcast")))
        #expect(getOnPost.headers["Allow"] == "POST")
    }

    @Test func headIsServedByTheGETRoute() throws {
        let router = HTTPRouter()
        router.route(.GET, "/health") { request in HTTPResponse(body: "method \(request.method)") }
        let response = try #require(answerAtOnce(router, request(.HEAD, "/health")))
        #expect(response.bodyText == "method HEAD")
    }

    @Test func removedRouteIsGone() {
        let router = HTTPRouter()
        router.route(.GET, "/x") { _ in HTTPResponse(body: "x") }
        router.removeRoute(.GET, "/x")
        #expect(answerAtOnce(router, request(.GET, "/x"))?.status.code == 404)
        #expect(router.registeredRoutes.isEmpty)
    }

    @Test func asyncHandlerAnswersLaterThroughTheCallback() async throws {
        let router = HTTPRouter()
        router.route(.POST, "/v1/leave") { request async -> HTTPResponse in
            try? await Task.sleep(for: .milliseconds(50))
            return HTTPResponse(status: .accepted, body: "left after \(request.bodyText)")
        }
        let immediate = HTTPTestValue<HTTPResponse?>(nil)
        let later: HTTPResponse? = await firstHTTPCallback { deliver in
            let answer = router.dispatch(HTTPRequest(method: .POST, target: "/v1/leave", body: Array("50ms".utf8)), later: deliver)
            immediate.set(answer)
        }
        #expect(immediate.value == nil)
        let response = try #require(later)
        #expect(response.status == .accepted)
        #expect(response.bodyText == "left after 50ms")
    }

    @Test func responderHandlerAnswersFromAnotherThreadOnce() async throws {
        let router = HTTPRouter()
        let secondAnswerAccepted = HTTPTestValue<Bool?>(nil)
        router.route(.GET, "/v1/members", responder: { request, responder in
            Task.detached {
                try? await Task.sleep(for: .milliseconds(20))
                responder.respond(HTTPResponse(body: "members for \(request.path)"))
                secondAnswerAccepted.set(responder.respond(HTTPResponse(status: .internalServerError, body: "again")))
            }
        })
        let response = try #require(await firstHTTPCallback { deliver in
            #expect(router.dispatch(request(.GET, "/v1/members"), later: deliver) == nil)
        })
        #expect(response.status == .ok)
        #expect(response.bodyText == "members for /v1/members")
        for _ in 0..<100 where secondAnswerAccepted.value == nil {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(secondAnswerAccepted.value == false)
    }

    @Test func responderDroppedWithoutAnAnswerSends500() async throws {
        let router = HTTPRouter()
        router.route(.GET, "/forgetful", responder: { _, _ in })
        let response = try #require(await firstHTTPCallback { deliver in
            _ = router.dispatch(request(.GET, "/forgetful"), later: deliver)
        })
        #expect(response.status.code == 500)
        #expect(response.bodyText == #"{"error":"handler finished without responding"}"#)
    }

    @Test func routesRegisteredConcurrentlyAreAllThere() async {
        let router = HTTPRouter()
        await withTaskGroup(of: Void.self) { group in
            for task in 0..<8 {
                group.addTask {
                    for index in 0..<100 {
                        router.route(.GET, "/t\(task)/\(index)") { _ in HTTPResponse(body: "\(task).\(index)") }
                    }
                }
            }
        }
        #expect(router.registeredRoutes.count == 800)
        for task in 0..<8 {
            for index in stride(from: 0, to: 100, by: 7) {
                #expect(answerAtOnce(router, request(.GET, "/t\(task)/\(index)"))?.bodyText == "\(task).\(index)")
            }
        }
    }

    @Test func closureKindPicksTheHandlerShape() {
        let router = HTTPRouter()
        router.route(.GET, "/sync") { _ in HTTPResponse(body: "s") }
        router.route(.GET, "/async") { _ in
            await Task.yield()
            return HTTPResponse(body: "a")
        }
        router.route(.GET, "/responder", responder: { _, responder in responder.respond(HTTPResponse(body: "r")) })
        if case .handler(.immediate) = router.resolve(.GET, path: "/sync") {} else { Issue.record("/sync is not immediate") }
        if case .handler(.async) = router.resolve(.GET, path: "/async") {} else { Issue.record("/async is not async") }
        if case .handler(.responder) = router.resolve(.GET, path: "/responder") {} else { Issue.record("/responder is not a responder") }
    }
}
