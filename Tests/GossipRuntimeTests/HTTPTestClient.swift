import ProtocolSupport

#if canImport(Glibc)
import Glibc
#endif

/// Why the test client gave up.
struct HTTPTestClientError: Error, CustomStringConvertible {
    let description: String
}

/// A response as the test client read it off the wire.
struct HTTPTestResponse: Sendable {
    var status: Int
    var headers: [(String, String)]
    var body: [UInt8]

    func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }
    var text: String { String(decoding: body, as: UTF8.self) }
}

/// A plain blocking POSIX socket client, independent of the runtime under test. Every call is bounded
/// by the socket's receive/send timeouts. Use it from ``runOnDedicatedThread(_:)``, never from a task directly: a
/// blocked recv on one of the few cooperative threads could starve the async handlers it waits for.
final class HTTPTestClient: @unchecked Sendable {
    // @unchecked Sendable: handed between test threads, but used by one thread at a time.
    private let fd: Int32
    private var buffer: [UInt8] = []

    init(connectingTo address: SocketAddress, timeoutSeconds: Int = 10) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HTTPTestClientError(description: "socket() failed: errno \(errno)") }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var sin = sockaddr_in()
        sin.sin_family = sa_family_t(AF_INET)
        sin.sin_port = address.port.bigEndian
        withUnsafeMutableBytes(of: &sin.sin_addr) { $0.copyBytes(from: address.ip) }
        let status = withUnsafePointer(to: &sin) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard status == 0 else {
            let code = errno
            Glibc.close(fd)
            throw HTTPTestClientError(description: "connect to \(address) failed: errno \(code)")
        }
    }

    deinit { Glibc.close(fd) }

    /// Writes all of `bytes`; throws when the peer has gone (EPIPE is reported, not raised as SIGPIPE).
    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { throw HTTPTestClientError(description: "send failed: errno \(errno)") }
            offset += sent
        }
    }

    func send(_ text: String) throws { try send(Array(text.utf8)) }

    /// Half-closes: the server sees end of stream but may still answer.
    func shutdownWrite() { Glibc.shutdown(fd, Int32(SHUT_WR)) }

    /// Reads one response framed by Content-Length (`expectBody: false` for a HEAD answer).
    func readResponse(expectBody: Bool = true) throws -> HTTPTestResponse {
        var headEnd: Int?
        for _ in 0..<100_000 {
            if let end = findHeadEnd() { headEnd = end; break }
            guard try fill() else { throw HTTPTestClientError(description: "connection closed before a response head (\(buffer.count) bytes buffered)") }
        }
        guard let headEnd else { throw HTTPTestClientError(description: "no response head") }
        let head = String(decoding: buffer[..<headEnd], as: UTF8.self)
        var lines = head.split(separator: "\r\n", omittingEmptySubsequences: false)
        let statusLine = lines.removeFirst().split(separator: " ", maxSplits: 2)
        guard statusLine.count >= 2, statusLine[0] == "HTTP/1.1", let status = Int(statusLine[1]) else {
            throw HTTPTestClientError(description: "bad status line in \(head)")
        }
        let headers = lines.filter { !$0.isEmpty }.map { line -> (String, String) in
            let colon = line.firstIndex(of: ":") ?? line.endIndex
            return (String(line[..<colon]), line[colon...].dropFirst().trimmingPrefix(" ").description)
        }
        var response = HTTPTestResponse(status: status, headers: headers, body: [])
        let length = expectBody ? Int(response.header("Content-Length") ?? "0") ?? 0 : 0
        buffer.removeFirst(headEnd + 4)
        while buffer.count < length {
            guard try fill() else { throw HTTPTestClientError(description: "connection closed inside a body") }
        }
        response.body = Array(buffer[..<length])
        buffer.removeFirst(length)
        return response
    }

    /// True when the peer closes (recv returns 0 or a reset) with no further bytes before the timeout.
    func readsEndOfStream() -> Bool {
        guard buffer.isEmpty else { return false }
        var byte: UInt8 = 0
        let received = recv(fd, &byte, 1, 0)
        return received == 0 || (received < 0 && errno == ECONNRESET)
    }

    private func findHeadEnd() -> Int? {
        guard buffer.count >= 4 else { return nil }
        for index in 0...(buffer.count - 4)
        where buffer[index] == 13 && buffer[index + 1] == 10 && buffer[index + 2] == 13 && buffer[index + 3] == 10 {
            return index
        }
        return nil
    }

    /// Reads what is available; false at end of stream.
    private func fill() throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65_536)
        let received = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if received == 0 { return false }
        guard received > 0 else {
            if errno == ECONNRESET { return false }
            throw HTTPTestClientError(description: "recv failed: errno \(errno)")
        }
        buffer.append(contentsOf: chunk[..<received])
        return true
    }
}

/// Work handed to a new thread, which alone uses it.
private final class HTTPTestThreadJob: @unchecked Sendable {
    // @unchecked: created on one thread, then touched only by the thread it is handed to.
    let run: () -> Void
    init(_ run: @escaping () -> Void) { self.run = run }
}

/// Runs blocking `work` on a thread of its own and returns its result.
func runOnDedicatedThread<Result: Sendable>(_ work: @escaping @Sendable () -> Result) async -> Result {
    await withCheckedContinuation { (continuation: CheckedContinuation<Result, Never>) in
        let job = Unmanaged.passRetained(HTTPTestThreadJob { continuation.resume(returning: work()) }).toOpaque()
        var thread = pthread_t()
        let status = pthread_create(&thread, nil, { context in
            guard let context else { return nil }
            Unmanaged<HTTPTestThreadJob>.fromOpaque(context).takeRetainedValue().run()
            return nil
        }, job)
        if status == 0 {
            pthread_detach(thread)
        } else {
            Unmanaged<HTTPTestThreadJob>.fromOpaque(job).takeRetainedValue().run()
        }
    }
}
