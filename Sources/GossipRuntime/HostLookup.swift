import CLibUV
import ProtocolSupport

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a host name gave no address.
public struct HostLookupError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The name does not exist (EAI_NONAME, EAI_NODATA).
        case notFound
        /// The resolver could not answer now (EAI_AGAIN).
        case temporaryFailure
        /// The name resolved, but to no IPv4 or IPv6 address.
        case noAddress
        /// The loop shut down before the answer came.
        case cancelled
        /// Anything else.
        case failed
    }

    public let host: String
    public let kind: Kind
    /// The resolver's words: gai_strerror's for a getaddrinfo error ("Name or service not known").
    public let reason: String

    public var description: String { "cannot resolve '\(host)': \(reason)" }
}

/// Resolves a host name to every address it has (A and AAAA records, /etc/hosts first as the system
/// resolver does) with libuv's `uv_getaddrinfo`, which runs the blocking getaddrinfo on libuv's thread
/// pool: the loop goes on serving sockets and timers meanwhile, and the answer comes back on the loop
/// thread.
///
/// A lookup still queued when the loop shuts down is cancelled and answered ``HostLookupError/Kind/cancelled``;
/// one already running cannot be interrupted (getaddrinfo has no way to), so the shutdown waits for it, as
/// long as the resolver's own timeouts (resolv.conf) let it run.
public final class HostLookup: LoopResource {
    public typealias Completion = (Result<[SocketAddress], HostLookupError>) -> Void

    private let loop: EventLoop
    private let host: String
    private var request: UnsafeMutablePointer<uv_getaddrinfo_t>?
    private var completion: Completion?

    /// Starts looking up `host`; `completion` runs once, on the loop thread, with its addresses (IPv4 first,
    /// each once, with port 0) or the reason there are none. Loop thread only.
    @discardableResult
    public static func resolve(_ host: String, on loop: EventLoop, _ completion: @escaping Completion) -> HostLookup {
        let lookup = HostLookup(loop: loop, host: host, completion: completion)
        lookup.start()
        return lookup
    }

    private init(loop: EventLoop, host: String, completion: @escaping Completion) {
        loop.assertInLoopThread()
        self.loop = loop
        self.host = host
        self.completion = completion
    }

    private func start() {
        guard !loop.resources.isShuttingDown else {
            return finish(.failure(HostLookupError(host: host, kind: .cancelled, reason: "the node is shutting down")))
        }
        let request = UnsafeMutablePointer<uv_getaddrinfo_t>.allocate(capacity: 1)
        request.pointee.data = Unmanaged.passUnretained(self).toOpaque()
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        // One entry per address rather than one per socket type.
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        let status = uv_getaddrinfo(loop.uvLoop, request, hostLookupDone, host, nil, &hints)
        guard status == 0 else {
            request.deallocate()
            return finish(.failure(Self.error(host, status: status)))
        }
        self.request = request
        // Kept alive by the registry until its callback, which libuv always calls (with UV_ECANCELED when
        // cancelled).
        loop.resources.register(self)
    }

    // MARK: LoopResource

    /// Cancels the lookup if it has not started on the thread pool; its callback still runs.
    func close(reason: RuntimeError?) {
        guard let request else { return }
        request.withMemoryRebound(to: uv_req_t.self, capacity: 1) { _ = uv_cancel($0) }
    }

    func handleDidClose() { loop.resources.unregister(self) }

    // MARK: The answer

    fileprivate func done(status: Int32, list: UnsafeMutablePointer<addrinfo>?) {
        if let request {
            self.request = nil
            request.deallocate()
        }
        defer { handleDidClose() }
        guard status == 0 else { return finish(.failure(Self.error(host, status: status))) }
        defer { if let list { uv_freeaddrinfo(list) } }
        var v4: [SocketAddress] = [], v6: [SocketAddress] = []
        var entry = list
        while let current = entry {
            if let address = current.pointee.ai_addr, let parsed = SocketAddress(sockaddr: address),
               let resolved = SocketAddress(ip: parsed.ip, port: 0) {
                if resolved.isIPv6 {
                    if !v6.contains(resolved) { v6.append(resolved) }
                } else if !v4.contains(resolved) {
                    v4.append(resolved)
                }
            }
            entry = current.pointee.ai_next
        }
        guard !(v4 + v6).isEmpty else {
            return finish(.failure(HostLookupError(host: host, kind: .noAddress, reason: "no IPv4 or IPv6 address")))
        }
        finish(.success(v4 + v6))
    }

    private func finish(_ result: Result<[SocketAddress], HostLookupError>) {
        guard let completion else { return }
        self.completion = nil
        completion(result)
    }

    /// libuv's status as getaddrinfo's own error, in gai_strerror's words where libuv has the code.
    static func error(_ host: String, status: Int32) -> HostLookupError {
        let kind: HostLookupError.Kind = switch status {
        case UV_EAI_NONAME.rawValue, UV_EAI_NODATA.rawValue: .notFound
        case UV_EAI_AGAIN.rawValue: .temporaryFailure
        case UV_EAI_ADDRFAMILY.rawValue: .noAddress
        // libuv reports a cancelled lookup as UV_EAI_CANCELED.
        case UV_EAI_CANCELED.rawValue, UV_ECANCELED.rawValue: .cancelled
        default: .failed
        }
        let gai: Int32? = switch status {
        case UV_EAI_NONAME.rawValue: EAI_NONAME
        case UV_EAI_AGAIN.rawValue: EAI_AGAIN
        case UV_EAI_FAIL.rawValue: EAI_FAIL
        case UV_EAI_MEMORY.rawValue: EAI_MEMORY
        case UV_EAI_FAMILY.rawValue: EAI_FAMILY
        case UV_EAI_SERVICE.rawValue: EAI_SERVICE
        case UV_EAI_BADFLAGS.rawValue: EAI_BADFLAGS
        case UV_EAI_SOCKTYPE.rawValue: EAI_SOCKTYPE
        default: nil
        }
        let reason = gai.map { String(cString: gai_strerror($0)) } ?? String(cString: uv_strerror(status))
        return HostLookupError(host: host, kind: kind, reason: reason)
    }
}

private func hostLookupDone(_ request: UnsafeMutablePointer<uv_getaddrinfo_t>?, _ status: Int32,
                            _ list: UnsafeMutablePointer<addrinfo>?) {
    guard let data = request?.pointee.data else {
        if let list { uv_freeaddrinfo(list) }
        return
    }
    Unmanaged<HostLookup>.fromOpaque(data).takeUnretainedValue().done(status: status, list: list)
}
