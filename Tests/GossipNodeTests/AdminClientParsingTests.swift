@testable import GossipNode
import Testing

/// The admin client reads the answers of Go's servers too (the monitor's Prometheus and Alertmanager),
/// which come chunked when large; an incomplete chunked body is not an answer yet.
@Suite struct AdminClientParsingTests {
    static let head = Array("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n".utf8)

    @Test func chunkedBodiesAreDecoded() throws {
        let body = Array("4\r\n{\"a\"\r\n5;ext=1\r\n:true\r\n1\r\n}\r\n0\r\n\r\n".utf8)
        let response = try AdminClient.parse(Self.head + body)
        #expect(response.status == 200 && response.text == "{\"a\":true}")
    }

    @Test func incompleteOrMalformedChunksAreRefused() {
        for body in ["4\r\n{\"a\"\r\n", "4\r\n{\"", "zz\r\n{}\r\n0\r\n\r\n"] {
            #expect(throws: AdminClient.Failure.self) { try AdminClient.parse(Self.head + Array(body.utf8)) }
        }
    }
}
