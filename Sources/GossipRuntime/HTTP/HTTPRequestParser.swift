import CHTTPParser

/// Turns the bytes of one connection into ``HTTPRequest`` values with Debian's http_parser, incrementally:
/// feed whatever arrived with ``consume(_:)``, take finished requests with ``nextRequest()``.
///
/// Every limit in ``HTTPRequestLimits`` is enforced inside the parser callbacks, so a refused request is
/// never buffered past its limit; the body is never pre-allocated by an unchecked Content-Length. After a
/// refusal the parser is dead: requests completed before the bad one are still handed out in order, then
/// ``nextRequest()`` throws the refusal every time.
///
/// Not thread-safe: one parser belongs to one connection on the loop thread.
final class HTTPRequestParser {
    let limits: HTTPRequestLimits

    // Heap-allocated so that http_parser never sees them move; `parser.pointee.data` points back to self.
    private let parser: UnsafeMutablePointer<http_parser>
    private let settings: UnsafeMutablePointer<http_parser_settings>

    // The message being parsed.
    private var url: [UInt8] = []
    private var fieldName: [UInt8] = []
    private var fieldValue: [UInt8] = []
    private var readingValue = false
    private var headers = HTTPHeaders()
    private var body: [UInt8] = []
    private var headerBytes = 0
    private var method: HTTPMethod = .GET
    private var path = ""
    private var query: String?
    private var inMessage = false

    // Finished requests waiting for the connection, oldest first, and their size on the wire (roughly).
    private var completed: [HTTPRequest] = []
    private var completedBytes: [Int] = []
    private var queuedBytes = 0

    /// Set by a callback that refuses, or from the parser's errno; sticky.
    private var failure: HTTPRequestError?
    /// True after an upgrade request: what follows is another protocol, so nothing more is parsed.
    private var stopped = false
    /// Set when the request being read asked for `Expect: 100-continue` and its body has not arrived.
    private var continueRequested = false

    init(limits: HTTPRequestLimits = .default) {
        self.limits = limits
        parser = .allocate(capacity: 1)
        settings = .allocate(capacity: 1)
        http_parser_init(parser, HTTP_REQUEST)
        installRequestCallbacks(settings)
        parser.pointee.data = Unmanaged.passUnretained(self).toOpaque()
    }

    deinit {
        parser.deallocate()
        settings.deallocate()
    }

    /// Whether bytes of a request that has not completed yet have been seen.
    var hasPartialRequest: Bool { inMessage }

    /// Requests parsed and not yet taken.
    var queuedRequestCount: Int { completed.count }

    /// Whether the request being read asked for `100 Continue` before sending its body; reading the
    /// flag clears it, so the interim answer is sent at most once.
    func takeContinueRequest() -> Bool {
        defer { continueRequested = false }
        return continueRequested && inMessage
    }

    /// Whether the connection is finished reading: a refusal happened or an upgrade ended HTTP.
    var isStopped: Bool { stopped || failure != nil }

    /// Parses `bytes`; finished requests queue up for ``nextRequest()``. Does nothing once stopped.
    func consume(_ bytes: UnsafeRawBufferPointer) {
        guard !isStopped, let base = bytes.baseAddress, bytes.count > 0 else { return }
        let parsed = http_parser_execute(parser, settings, base.assumingMemoryBound(to: CChar.self), bytes.count)
        if failure != nil { return }
        let errno = http_errno(rawValue: parser.pointee.http_errno)
        if errno != HPE_OK {
            failure = Self.refusal(for: errno, limits: limits)
        } else if parser.pointee.upgrade != 0 {
            stopped = true
        } else if parsed != bytes.count {
            // http_parser only stops early on an error or an upgrade; anything else is a parser fault.
            failure = .malformed(name: "HPE_UNKNOWN", detail: "parser stopped after \(parsed) of \(bytes.count) bytes")
        }
    }

    /// Convenience for tests and callers holding an array.
    func consume(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { consume($0) }
    }

    /// The oldest finished request, nil when none is complete yet; throws the refusal once every request
    /// before it has been taken.
    func nextRequest() throws(HTTPRequestError) -> HTTPRequest? {
        if !completed.isEmpty {
            queuedBytes -= completedBytes.removeFirst()
            return completed.removeFirst()
        }
        if let failure { throw failure }
        return nil
    }

    private static func refusal(for errno: http_errno, limits: HTTPRequestLimits) -> HTTPRequestError {
        if errno == HPE_HEADER_OVERFLOW {
            return .headersTooLarge(limit: limits.maxHeaderBytes)
        }
        let name = http_errno_name(errno).map { String(cString: $0) } ?? "HPE_UNKNOWN"
        let detail = http_errno_description(errno).map { String(cString: $0) } ?? "unknown parser error"
        return .malformed(name: name, detail: detail)
    }

    // MARK: callbacks (called by http_parser_execute, on the thread that called consume)

    func onMessageBegin() -> Int32 {
        url.removeAll(keepingCapacity: true)
        fieldName.removeAll(keepingCapacity: true)
        fieldValue.removeAll(keepingCapacity: true)
        readingValue = false
        headers = HTTPHeaders()
        body = []
        headerBytes = 0
        query = nil
        path = ""
        inMessage = true
        return 0
    }

    func onURL(_ bytes: UnsafeRawBufferPointer) -> Int32 {
        guard countHeaderBytes(bytes.count) else { return -1 }
        url.append(contentsOf: bytes)
        return 0
    }

    func onHeaderField(_ bytes: UnsafeRawBufferPointer) -> Int32 {
        if readingValue {
            guard commitHeader() else { return -1 }
        }
        guard countHeaderBytes(bytes.count) else { return -1 }
        fieldName.append(contentsOf: bytes)
        return 0
    }

    func onHeaderValue(_ bytes: UnsafeRawBufferPointer) -> Int32 {
        readingValue = true
        guard countHeaderBytes(bytes.count) else { return -1 }
        fieldValue.append(contentsOf: bytes)
        return 0
    }

    func onHeadersComplete() -> Int32 {
        if readingValue || !fieldName.isEmpty {
            guard commitHeader() else { return -1 }
        }
        let rawMethod = http_method(rawValue: parser.pointee.method)
        let methodName = http_method_str(rawMethod).map { String(cString: $0) } ?? "UNKNOWN"
        guard let known = HTTPMethod(rawValue: methodName) else {
            return refuse(.unsupportedMethod(methodName))
        }
        method = known
        let major = Int(parser.pointee.http_major), minor = Int(parser.pointee.http_minor)
        guard major == 1 else { return refuse(.unsupportedVersion(major: major, minor: minor)) }
        // UInt64.max means "no Content-Length"; chunked bodies are checked as they arrive.
        let announced = parser.pointee.content_length
        if announced != UInt64.max, announced > UInt64(limits.maxBodyBytes) {
            return refuse(.bodyTooLarge(limit: limits.maxBodyBytes))
        }
        guard splitTarget() else {
            return refuse(.malformed(name: "HPE_INVALID_URL", detail: "invalid URL"))
        }
        let hasBody = (announced != UInt64.max && announced > 0) || parser.pointee.flags & UInt32(F_CHUNKED.rawValue) != 0
        if hasBody, minor >= 1, let expect = headers["Expect"], HTTPHeaders.namesMatch(expect, "100-continue") {
            continueRequested = true
        }
        if announced != UInt64.max, announced > 0 {
            // Checked against the limit above; still capped so an idle client cannot make us reserve much.
            body.reserveCapacity(Int(min(announced, 64 * 1024)))
        }
        return 0
    }

    func onBody(_ bytes: UnsafeRawBufferPointer) -> Int32 {
        guard body.count + bytes.count <= limits.maxBodyBytes else {
            return refuse(.bodyTooLarge(limit: limits.maxBodyBytes))
        }
        body.append(contentsOf: bytes)
        return 0
    }

    func onMessageComplete() -> Int32 {
        inMessage = false
        continueRequested = false
        let upgrade = parser.pointee.upgrade != 0
        let keepAlive = http_should_keep_alive(parser) != 0 && !upgrade
        let size = headerBytes + body.count
        if !completed.isEmpty,
            completed.count >= limits.maxQueuedRequests || queuedBytes + size > limits.maxHeaderBytes + limits.maxBodyBytes
        {
            return refuse(.tooManyPipelinedRequests(limit: limits.maxQueuedRequests))
        }
        let request = HTTPRequest(
            method: method, target: String(decoding: url, as: UTF8.self), path: path, query: query,
            versionMajor: Int(parser.pointee.http_major), versionMinor: Int(parser.pointee.http_minor),
            headers: headers, body: body, keepAlive: keepAlive)
        completed.append(request)
        completedBytes.append(size)
        queuedBytes += size
        body = []
        headers = HTTPHeaders()
        return 0
    }

    // MARK: helpers

    private func refuse(_ error: HTTPRequestError) -> Int32 {
        failure = error
        return -1
    }

    private func countHeaderBytes(_ count: Int) -> Bool {
        headerBytes += count
        if headerBytes > limits.maxHeaderBytes {
            failure = .headersTooLarge(limit: limits.maxHeaderBytes)
            return false
        }
        return true
    }

    private func commitHeader() -> Bool {
        guard headers.count < limits.maxHeaderCount else {
            failure = .tooManyHeaders(limit: limits.maxHeaderCount)
            return false
        }
        headers.add(name: String(decoding: fieldName, as: UTF8.self), value: String(decoding: fieldValue, as: UTF8.self))
        fieldName.removeAll(keepingCapacity: true)
        fieldValue.removeAll(keepingCapacity: true)
        readingValue = false
        return true
    }

    /// Splits the target into path and query with http_parser_parse_url; absolute-form targets
    /// (`http://host/path`) keep only their path. False when the URL does not parse.
    private func splitTarget() -> Bool {
        var parts = http_parser_url()
        http_parser_url_init(&parts)
        let failed = url.withUnsafeBytes { raw -> Int32 in
            guard let base = raw.baseAddress else { return 1 }
            return http_parser_parse_url(base.assumingMemoryBound(to: CChar.self), raw.count, 0, &parts)
        }
        guard failed == 0 else { return false }
        func field(_ index: http_parser_url_fields) -> String? {
            let bit = UInt16(1) << UInt16(index.rawValue)
            guard parts.field_set & bit != 0 else { return nil }
            // Swift does not import `field_data` (an array of an anonymous struct), so it is read from the
            // C layout: field_set and port (2 x uint16), then UF_MAX pairs of uint16 {off, len}.
            let (start, length) = withUnsafeBytes(of: parts) { raw -> (Int, Int) in
                let offset = 4 + Int(index.rawValue) * 4
                guard offset + 4 <= raw.count else { return (0, -1) }
                return (
                    Int(raw.loadUnaligned(fromByteOffset: offset, as: UInt16.self)),
                    Int(raw.loadUnaligned(fromByteOffset: offset + 2, as: UInt16.self))
                )
            }
            guard start >= 0, length >= 0, start + length <= url.count else { return nil }
            return String(decoding: url[start..<(start + length)], as: UTF8.self)
        }
        path = field(UF_PATH) ?? "/"
        query = field(UF_QUERY)
        return true
    }
}
