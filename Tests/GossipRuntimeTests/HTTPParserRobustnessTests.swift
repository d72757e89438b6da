import ProtocolSupport
import Testing

@testable import GossipRuntime

@Suite("HTTP request parser under arbitrary input")
struct HTTPParserRobustnessTests {
    private static let stream: [UInt8] = Array((
        "GET /metrics HTTP/1.1\r\nHost: a\r\n\r\n"
        + "POST /v1/broadcast?x=1 HTTP/1.1\r\nContent-Length: 11\r\n\r\nhello world"
        + "POST /chunked HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
        + "HEAD /health HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
        + "GET /last HTTP/1.1\r\nConnection: close\r\n\r\n").utf8)

    private func parse(_ pieces: [ArraySlice<UInt8>], limits: HTTPRequestLimits = .default) -> ([HTTPRequest], HTTPRequestError?) {
        let parser = HTTPRequestParser(limits: limits)
        var requests: [HTTPRequest] = []
        for piece in pieces {
            piece.withUnsafeBytes { parser.consume($0) }
            while let request = try? parser.nextRequest() { requests.append(request) }
        }
        do {
            while let request = try parser.nextRequest() { requests.append(request) }
            return (requests, nil)
        } catch {
            return (requests, error)
        }
    }

    @Test func anySplitOfAPipelinedStreamGivesTheSameRequests() {
        let whole = parse([Self.stream[...]])
        #expect(whole.1 == nil)
        #expect(whole.0.map(\.path) == ["/metrics", "/v1/broadcast", "/chunked", "/health", "/last"])
        var random = SeededRandom(seed: 20_261_122)
        for _ in 0..<300 {
            var pieces: [ArraySlice<UInt8>] = []
            var start = 0
            while start < Self.stream.count {
                let length = Int.random(in: 1...40, using: &random)
                let end = min(start + length, Self.stream.count)
                pieces.append(Self.stream[start..<end])
                start = end
            }
            let split = parse(pieces)
            #expect(split.1 == nil)
            #expect(split.0 == whole.0)
        }
    }

    @Test func randomBytesAndCorruptedRequestsNeverTrapAndStayBounded() {
        var random = SeededRandom(seed: 7)
        let limits = HTTPRequestLimits(maxHeaderBytes: 512, maxHeaderCount: 8, maxBodyBytes: 256, maxQueuedRequests: 4)
        var refusals = 0
        for round in 0..<500 {
            var bytes: [UInt8]
            if round % 2 == 0 {
                bytes = (0..<Int.random(in: 1...2048, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            } else {
                // A valid stream with a few bytes flipped: mostly refused, sometimes still valid.
                bytes = Self.stream
                for _ in 0..<Int.random(in: 1...4, using: &random) {
                    bytes[Int.random(in: 0..<bytes.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
                }
            }
            let (requests, error) = parse([bytes[...]], limits: limits)
            if error != nil { refusals += 1 }
            #expect(requests.count <= 5)
            #expect(requests.allSatisfy { $0.body.count <= limits.maxBodyBytes && $0.headers.count <= limits.maxHeaderCount })
        }
        // Random bytes are almost never HTTP: most rounds end in a refusal.
        #expect(refusals > 250)
    }
}
