import Testing

@testable import GossipRuntime

@Suite("HTTP response serialisation")
struct HTTPResponseTests {
    @Test func statusLineOwnFieldsAndBodyInOrder() {
        let response = HTTPResponse(status: .ok, contentType: "text/plain; version=0.0.4; charset=utf-8", body: "up 1\n")
        let bytes = HTTPResponseSerializer.serialize(response, keepAlive: true, date: "Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(String(decoding: bytes, as: UTF8.self) == """
            HTTP/1.1 200 OK\r
            Content-Type: text/plain; version=0.0.4; charset=utf-8\r
            Content-Length: 5\r
            Connection: keep-alive\r
            Date: Sun, 06 Nov 1994 08:49:37 GMT\r
            \r
            up 1

            """)
    }

    @Test func closeHeadAndOwnedFieldsReplaced() {
        var response = HTTPResponse.jsonError(.notFound, "not found", ["path": "/x"])
        response.headers.add(name: "Content-Length", value: "999")
        response.headers.add(name: "connection", value: "upgrade")
        response.headers.add(name: "X-Evil", value: "a\r\nSet-Cookie: b")
        response.headers.add(name: "X-Fine", value: "yes")
        let text = String(decoding: HTTPResponseSerializer.serialize(response, keepAlive: false, omitBody: true), as: UTF8.self)
        #expect(text == "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nX-Fine: yes\r\nContent-Length: 33\r\nConnection: close\r\n\r\n")
        #expect(response.body.count == 33)
    }

    @Test func statusReasonsComeFromTheParserTable() {
        #expect(HTTPStatus(code: 503).reason == "Service Unavailable")
        #expect(HTTPStatus(code: 431) == .requestHeaderFieldsTooLarge)
        #expect(HTTPStatus(code: 299).reason == "Unknown")
        #expect(HTTPStatus(code: -1).reason == "Unknown")
    }

    @Test(arguments: [
        (Int64(0), "Thu, 01 Jan 1970 00:00:00 GMT"),
        (784_111_777, "Sun, 06 Nov 1994 08:49:37 GMT"),
        (951_782_400, "Tue, 29 Feb 2000 00:00:00 GMT"),
        (4_102_444_799, "Thu, 31 Dec 2099 23:59:59 GMT"),
        (-1, "Wed, 31 Dec 1969 23:59:59 GMT"),
    ])
    func imfFixdate(seconds: Int64, expected: String) {
        #expect(HTTPDate.format(secondsSinceEpoch: seconds) == expected)
    }

    @Test func jsonQuotingEscapesControlCharacters() {
        #expect(JSONText.quoted("a\"b\\c\n\u{1}é") == #""a\"b\\c\n\u0001é""#)
    }
}
