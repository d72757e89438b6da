import ProtocolSupport

#if canImport(Glibc)
import Glibc
#endif

/// A blocking POSIX TCP client, independent of the runtime under test, for tests that play a hostile
/// peer: floods of connections, slow streams, raw HTTP. Every call is bounded by the socket's timeouts.
/// Use it from ``onDedicatedThread(_:)``, never from a task directly (a blocked call would hold one of the
/// few cooperative threads the node's async handlers need).
final class RawTCPClient: @unchecked Sendable {
    // @unchecked Sendable: handed between test threads, but used by one thread at a time.
    struct Failure: Error, CustomStringConvertible { let description: String }

    private let fd: Int32
    private var buffer: [UInt8] = []

    init(connectingTo address: SocketAddress, timeoutSeconds: Int = 5) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket() failed: errno \(errno)") }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        // From 127.0.0.2: the hundreds of ephemeral ports a flood takes must not collide with the port a
        // node in a parallel test binds on 127.0.0.1 (it binds TCP on the port the OS chose for its UDP).
        var local = sockaddr_in()
        local.sin_family = sa_family_t(AF_INET)
        local.sin_addr.s_addr = UInt32(0x7F00_0002).bigEndian
        let bound = withUnsafePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else {
            let code = errno
            close(fd)
            throw Failure(description: "bind to 127.0.0.2 failed: errno \(code)")
        }
        var sin = sockaddr_in()
        sin.sin_family = sa_family_t(AF_INET)
        sin.sin_port = address.port.bigEndian
        withUnsafeMutableBytes(of: &sin.sin_addr) { $0.copyBytes(from: address.ip) }
        let status = withUnsafePointer(to: &sin) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard status == 0 else {
            let code = errno
            close(fd)
            throw Failure(description: "connect to \(address) failed: errno \(code)")
        }
    }

    deinit { close(fd) }

    /// Writes all of `bytes`; throws once the peer has gone (EPIPE is reported, not raised as SIGPIPE).
    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { throw Failure(description: "send failed: errno \(errno)") }
            offset += sent
        }
    }

    /// True when the peer has closed (end of stream or reset) within the receive timeout.
    func readsEndOfStream() -> Bool {
        var byte: UInt8 = 0
        let received = recv(fd, &byte, 1, 0)
        return received == 0 || (received < 0 && errno == ECONNRESET)
    }

    /// `GET path` on a keep-alive connection; the status code of the answer (framed by Content-Length).
    func get(_ path: String) throws -> Int {
        try send(Array("GET \(path) HTTP/1.1\r\nHost: node\r\n\r\n".utf8))
        var headEnd: Int?
        while headEnd == nil {
            headEnd = Self.find([13, 10, 13, 10], in: buffer)
            if headEnd == nil { try fill() }
        }
        let head = String(decoding: buffer[..<headEnd!], as: UTF8.self)
        let lines = head.split(separator: "\r\n")
        guard let statusLine = lines.first, let status = Int(statusLine.split(separator: " ").dropFirst().first ?? "") else {
            throw Failure(description: "bad answer head: \(head)")
        }
        let lengthLine = lines.first { $0.lowercased().hasPrefix("content-length:") }
        let length = lengthLine.flatMap { Int($0.split(separator: ":")[1].trimmingPrefix(" ")) } ?? 0
        buffer.removeFirst(headEnd! + 4)
        while buffer.count < length { try fill() }
        buffer.removeFirst(length)
        return status
    }

    private func fill() throws {
        var chunk = [UInt8](repeating: 0, count: 65_536)
        let received = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard received > 0 else { throw Failure(description: received == 0 ? "closed by the server" : "recv failed: errno \(errno)") }
        buffer.append(contentsOf: chunk[..<received])
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for index in 0...(haystack.count - needle.count) where haystack[index..<index + needle.count].elementsEqual(needle) {
            return index
        }
        return nil
    }
}

/// Work handed to a new thread, which alone uses it.
private final class ThreadJob: @unchecked Sendable {
    // @unchecked: created on one thread, then touched only by the thread it is handed to.
    let run: () -> Void
    init(_ run: @escaping () -> Void) { self.run = run }
}

/// Runs blocking `work` on a thread of its own and returns its result.
func onDedicatedThread<Result: Sendable>(_ work: @escaping @Sendable () -> Result) async -> Result {
    await withCheckedContinuation { (continuation: CheckedContinuation<Result, Never>) in
        let job = Unmanaged.passRetained(ThreadJob { continuation.resume(returning: work()) }).toOpaque()
        var thread = pthread_t()
        let status = pthread_create(&thread, nil, { context in
            guard let context else { return nil }
            Unmanaged<ThreadJob>.fromOpaque(context).takeRetainedValue().run()
            return nil
        }, job)
        if status == 0 {
            pthread_detach(thread)
        } else {
            Unmanaged<ThreadJob>.fromOpaque(job).takeRetainedValue().run()
        }
    }
}

/// The resident set size of this process, in bytes (Linux /proc).
func residentBytes() -> Int {
    guard let file = fopen("/proc/self/statm", "r") else { return 0 }
    defer { fclose(file) }
    var line = [CChar](repeating: 0, count: 128)
    guard fgets(&line, 128, file) != nil else { return 0 }
    let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    let fields = text.split(separator: " ")
    guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
    return pages * sysconf(Int32(_SC_PAGESIZE))
}
