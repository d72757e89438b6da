import Foundation
import Glibc
import GossipObservability

/// A small blocking HTTP/1.1 server on 127.0.0.1 with an OS-chosen port, answering GET requests with
/// ``HTTPAnswer``s: serves registries to a real Prometheus in the smoke test. One thread accepts and
/// answers each request in turn, then closes the connection. Requests are bounded to 16 KiB.
final class LoopbackHTTPServer: @unchecked Sendable {
    let port: UInt16
    private let listener: Int32
    private let answer: @Sendable (String) -> HTTPAnswer
    private let thread: Thread
    private let stopped = NSLock()
    private var isStopped = false

    init(answer: @escaping @Sendable (String) -> HTTPAnswer) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EMFILE) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 16) == 0 else { close(fd); throw POSIXError(.EADDRINUSE) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        self.port = UInt16(bigEndian: address.sin_port)
        self.listener = fd
        self.answer = answer
        let handler = answer
        self.thread = Thread {
            while true {
                let client = accept(fd, nil, nil)
                if client < 0 { return }
                Self.serve(client, handler)
                close(client)
            }
        }
        thread.start()
    }

    var address: String { "127.0.0.1:\(port)" }

    func stop() {
        stopped.lock()
        defer { stopped.unlock() }
        guard !isStopped else { return }
        isStopped = true
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    deinit { stop() }

    private static func serve(_ client: Int32, _ answer: (String) -> HTTPAnswer) {
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var request: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while request.count < 16 * 1024 {
            let count = recv(client, &chunk, chunk.count, 0)
            if count <= 0 { return }
            request += chunk[0..<count]
            if request.count >= 4, request.suffix(4) == [13, 10, 13, 10] { break }
            if String(decoding: request, as: UTF8.self).contains("\r\n\r\n") { break }
        }
        let line = String(decoding: request.prefix { $0 != 13 }, as: UTF8.self).split(separator: " ")
        let result: HTTPAnswer
        if line.count == 3, line[0] == "GET" {
            let path = String(line[1].split(separator: "?", maxSplits: 1).first ?? "")
            result = answer(path)
        } else {
            result = HTTPAnswer(status: 400, json: "{\"error\":\"bad request\"}")
        }
        let reason = [200: "OK", 400: "Bad Request", 404: "Not Found", 500: "Internal Server Error",
                      503: "Service Unavailable"][result.status] ?? "Status"
        let head = "HTTP/1.1 \(result.status) \(reason)\r\nContent-Type: \(result.contentType)\r\n"
            + "Content-Length: \(result.body.count)\r\nConnection: close\r\n\r\n"
        let bytes = Array(head.utf8) + result.body
        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if count <= 0 { return }
            sent += count
        }
    }
}
