#if canImport(Glibc)
import Glibc
#endif
import Foundation
import ProtocolSupport

/// A small HTTP/1.1 client for a running node's admin API: what `gossip-node members`, `broadcast`,
/// `health` and `leave` use, and what scripts and tests can use too.
///
/// Blocking, one request per connection, bounded in time (`timeout` for connect, send and receive) and in
/// size (`maxResponseBytes`): a misbehaving server cannot hang or exhaust the caller.
public struct AdminClient: Sendable {
    public let address: SocketAddress
    public var token: String?
    public var timeout: Duration
    public var maxResponseBytes: Int

    public init(address: SocketAddress, token: String? = nil, timeout: Duration = .seconds(10),
                maxResponseBytes: Int = 16 << 20) {
        self.address = address
        self.token = token
        self.timeout = timeout
        self.maxResponseBytes = maxResponseBytes
    }

    public struct Response: Sendable {
        public var status: Int
        public var headers: [(name: String, value: String)]
        public var body: [UInt8]
        public var text: String { String(decoding: body, as: UTF8.self) }
    }

    public enum Failure: Error, CustomStringConvertible, Equatable {
        case connectFailed(address: String, reason: String)
        case timedOut(address: String)
        case malformedResponse(String)
        case responseTooLarge(limit: Int)

        public var description: String {
            switch self {
            case .connectFailed(let address, let reason):
                return "cannot reach the admin API at \(address): \(reason); is the agent running, with its admin API there?"
            case .timedOut(let address): return "the admin API at \(address) did not answer in time"
            case .malformedResponse(let why): return "the admin API answered something that is not HTTP: \(why)"
            case .responseTooLarge(let limit): return "the admin API's answer exceeded \(limit) bytes"
            }
        }
    }

    public func get(_ path: String) throws(Failure) -> Response {
        try request(method: "GET", path: path, body: [])
    }

    public func post(_ path: String, body: [UInt8] = [], contentType: String = "application/octet-stream") throws(Failure) -> Response {
        try request(method: "POST", path: path, body: body, contentType: contentType)
    }

    /// The async forms run the blocking exchange on a thread of its own, never on Swift's cooperative
    /// pool: a blocked pool thread could starve the very node being called in the same process.
    public func get(_ path: String) async throws(Failure) -> Response {
        try await request(method: "GET", path: path, body: [])
    }

    public func post(_ path: String, body: [UInt8] = [], contentType: String = "application/octet-stream") async throws(Failure) -> Response {
        try await request(method: "POST", path: path, body: body, contentType: contentType)
    }

    public func request(method: String, path: String, body: [UInt8], contentType: String = "application/octet-stream") async throws(Failure) -> Response {
        let client = self
        let result: Result<Response, Failure> = await withCheckedContinuation { continuation in
            let thread = Thread {
                do throws(Failure) {
                    continuation.resume(returning: .success(try client.request(method: method, path: path, body: body, contentType: contentType)))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
            thread.start()
        }
        return try result.get()
    }

    public func request(method: String, path: String, body: [UInt8], contentType: String = "application/octet-stream") throws(Failure) -> Response {
        let fd = try connectSocket()
        defer { close(fd) }
        var head = "\(method) \(path) HTTP/1.1\r\nHost: \(address)\r\nConnection: close\r\nContent-Length: \(body.count)\r\n"
        if !body.isEmpty { head += "Content-Type: \(contentType)\r\n" }
        if let token { head += "Authorization: Bearer \(token)\r\n" }
        head += "\r\n"
        try sendAll(fd, Array(head.utf8) + body)
        let raw = try receiveAll(fd)
        return try Self.parse(raw)
    }

    private var timeoutMilliseconds: Int32 {
        Int32(clamping: timeout.nanosecondsClamped / 1_000_000)
    }

    private func connectSocket() throws(Failure) -> Int32 {
        let family = address.isIPv6 ? AF_INET6 : AF_INET
        let fd = socket(family, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw .connectFailed(address: "\(address)", reason: String(cString: strerror(errno))) }
        let flags = fcntl(fd, F_GETFL, 0)
        _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
        var storage = sockaddr_storage()
        let length = Self.fill(&storage, address)
        let result = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, length) }
        }
        if result != 0 && errno != EINPROGRESS {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw .connectFailed(address: "\(address)", reason: reason)
        }
        guard waitFor(fd, events: Int16(POLLOUT)) else {
            close(fd)
            throw .timedOut(address: "\(address)")
        }
        var error: Int32 = 0
        var errorLength = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &errorLength)
        if error != 0 {
            close(fd)
            throw .connectFailed(address: "\(address)", reason: String(cString: strerror(error)))
        }
        return fd
    }

    private func waitFor(_ fd: Int32, events: Int16) -> Bool {
        var pfd = pollfd(fd: fd, events: events, revents: 0)
        return poll(&pfd, 1, timeoutMilliseconds) == 1
    }

    private func sendAll(_ fd: Int32, _ bytes: [UInt8]) throws(Failure) {
        var offset = 0
        while offset < bytes.count {
            guard waitFor(fd, events: Int16(POLLOUT)) else { throw .timedOut(address: "\(address)") }
            let sent = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent < 0 {
                if errno == EAGAIN || errno == EINTR { continue }
                throw .connectFailed(address: "\(address)", reason: String(cString: strerror(errno)))
            }
            offset += sent
        }
    }

    private func receiveAll(_ fd: Int32) throws(Failure) -> [UInt8] {
        var data: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16384)
        while true {
            guard waitFor(fd, events: Int16(POLLIN)) else { throw .timedOut(address: "\(address)") }
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count < 0 {
                if errno == EAGAIN || errno == EINTR { continue }
                throw .connectFailed(address: "\(address)", reason: String(cString: strerror(errno)))
            }
            if count == 0 { return data }
            data.append(contentsOf: chunk[..<count])
            if data.count > maxResponseBytes { throw .responseTooLarge(limit: maxResponseBytes) }
            if let response = try? Self.parse(data), response.body.count == Self.declaredLength(data) { return data }
        }
    }

    private static func declaredLength(_ raw: [UInt8]) -> Int? {
        guard let response = try? parseHead(raw) else { return nil }
        return response.headers.first { $0.name.lowercased() == "content-length" }.flatMap { Int($0.value) }
    }

    private static func parseHead(_ raw: [UInt8]) throws(Failure) -> (status: Int, headers: [(name: String, value: String)], bodyStart: Int) {
        guard let end = findHeaderEnd(raw) else { throw .malformedResponse("incomplete header") }
        let head = String(decoding: raw[..<end], as: UTF8.self)
        let lines = head.split(separator: "\r\n", omittingEmptySubsequences: false)
        guard let statusLine = lines.first else { throw .malformedResponse("no status line") }
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]) else {
            throw .malformedResponse("bad status line '\(statusLine)'")
        }
        var headers: [(name: String, value: String)] = []
        for line in lines.dropFirst() where !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else { throw .malformedResponse("bad header line") }
            headers.append((String(line[..<colon]), String(line[line.index(after: colon)...]).trimmed))
        }
        return (status, headers, end + 4)
    }

    static func parse(_ raw: [UInt8]) throws(Failure) -> Response {
        let (status, headers, bodyStart) = try parseHead(raw)
        var body = Array(raw[bodyStart...])
        if let length = headers.first(where: { $0.name.lowercased() == "content-length" }).flatMap({ Int($0.value) }) {
            guard body.count >= length else { throw .malformedResponse("body shorter than Content-Length") }
            body = Array(body[..<length])
        } else if headers.contains(where: { $0.name.lowercased() == "transfer-encoding" && $0.value.lowercased().contains("chunked") }) {
            // Go's servers (Prometheus, Alertmanager) send larger answers chunked.
            guard let decoded = dechunk(body) else { throw .malformedResponse("incomplete or malformed chunked body") }
            body = decoded
        }
        return Response(status: status, headers: headers, body: body)
    }

    /// HTTP/1.1 chunked transfer coding: hex size line, data, CRLF, until a zero size; nil when malformed or
    /// not complete yet.
    static func dechunk(_ raw: [UInt8]) -> [UInt8]? {
        var body: [UInt8] = []
        var index = 0
        while true {
            guard let lineEnd = findCRLF(raw, from: index) else { return nil }
            let sizeText = String(decoding: raw[index..<lineEnd], as: UTF8.self).split(separator: ";").first ?? ""
            guard let size = Int(String(sizeText).trimmed, radix: 16), size >= 0 else { return nil }
            if size == 0 { return body }
            let start = lineEnd + 2
            guard start + size <= raw.count else { return nil }
            body += raw[start..<(start + size)]
            index = start + size + 2
        }
    }

    private static func findCRLF(_ raw: [UInt8], from start: Int) -> Int? {
        var index = start
        while index + 1 < raw.count {
            if raw[index] == 13 && raw[index + 1] == 10 { return index }
            index += 1
        }
        return nil
    }

    private static func findHeaderEnd(_ raw: [UInt8]) -> Int? {
        guard raw.count >= 4 else { return nil }
        for i in 0...(raw.count - 4) where raw[i] == 13 && raw[i + 1] == 10 && raw[i + 2] == 13 && raw[i + 3] == 10 {
            return i
        }
        return nil
    }

    private static func fill(_ storage: inout sockaddr_storage, _ address: SocketAddress) -> socklen_t {
        withUnsafeMutablePointer(to: &storage) { pointer in
            if address.isIPv6 {
                return pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { sin6 in
                    sin6.pointee.sin6_family = sa_family_t(AF_INET6)
                    sin6.pointee.sin6_port = address.port.bigEndian
                    withUnsafeMutableBytes(of: &sin6.pointee.sin6_addr) { $0.copyBytes(from: address.ip) }
                    return socklen_t(MemoryLayout<sockaddr_in6>.size)
                }
            }
            return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { sin in
                sin.pointee.sin_family = sa_family_t(AF_INET)
                sin.pointee.sin_port = address.port.bigEndian
                withUnsafeMutableBytes(of: &sin.pointee.sin_addr) { $0.copyBytes(from: address.ip) }
                return socklen_t(MemoryLayout<sockaddr_in>.size)
            }
        }
    }
}
