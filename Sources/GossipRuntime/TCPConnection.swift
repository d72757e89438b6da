import CLibUV
import ProtocolSupport

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A TCP connection on the loop thread: connect with a timeout, reads held to a size cap and deadlines,
/// writes with completions and an optional progress timeout, half-close and close.
///
/// ## The TCP API (loop thread only; every callback runs on the loop thread)
///
/// ```swift
/// // Listening
/// init TCPListener(loop: EventLoop, bindingTo address: SocketAddress, backlog: Int32 = 128,
///                  onAccept: @escaping (TCPConnection) -> Void) throws(RuntimeError)
/// TCPListener.localAddress: SocketAddress            // the OS-chosen port when bound to port 0
/// TCPListener.acceptFailures: Int
/// TCPListener.isClosed: Bool
/// TCPListener.close()                                // idempotent; accepted connections stay open
///
/// // Connecting
/// static TCPConnection.connect(loop: EventLoop, to address: SocketAddress, timeout: Duration,
///                              completion: @escaping (Result<TCPConnection, RuntimeError>) -> Void) -> TCPConnection?
///
/// // Reading: data views are valid only during the call; onEnd is called at most once per startReading
/// TCPConnection.startReading(limits: ReadLimits, onData: @escaping (UnsafeRawBufferPointer) -> Void,
///                            onEnd: @escaping (ReadEnd) -> Void)
/// TCPConnection.renewReadLimits(_ limits: ReadLimits)   // a fresh budget and deadlines from now (keep-alive)
/// TCPConnection.stopReading()
/// ReadLimits(maxBytes: Int, deadline: Duration? = nil, idleTimeout: Duration? = nil)
/// enum ReadEnd { case endOfStream; case failed(RuntimeError) }
///
/// // Writing: the bytes are copied; completion runs once the kernel has them (or with the failure)
/// TCPConnection.write(_ bytes: [UInt8], completion: ((Result<Void, RuntimeError>) -> Void)? = nil)
/// TCPConnection.write(_ bytes: UnsafeRawBufferPointer, completion: ((Result<Void, RuntimeError>) -> Void)? = nil)
/// TCPConnection.writeTimeout: Duration?                // pending writes must progress within it, or cut off
/// TCPConnection.pendingWriteBytes: Int
/// TCPConnection.shutdownWrite(completion: ((Result<Void, RuntimeError>) -> Void)? = nil)   // half-close
///
/// // Lifecycle
/// TCPConnection.close()                                // at once, idempotent; queued writes fail with .closed
/// TCPConnection.onClose: ((RuntimeError?) -> Void)?    // once, when closed; the reason if it was cut off
/// TCPConnection.isClosed: Bool
/// TCPConnection.remoteAddress: SocketAddress?
/// TCPConnection.localAddress: SocketAddress?
/// ```
///
/// A peer that sends more than `limits.maxBytes`, or does not finish within `limits.deadline`, or goes quiet for
/// `limits.idleTimeout`, is cut off: the connection is closed and `onEnd(.failed(reason))` says which.
/// When the peer closes its side, `onEnd(.endOfStream)` is called and the connection stays open for writing
/// (half-open) until its owner closes it.
public final class TCPConnection: LoopResource {
    public let loop: EventLoop
    /// The peer: the address connected to, or where an accepted connection came from.
    public private(set) var remoteAddress: SocketAddress?
    /// This side's address once connected.
    public private(set) var localAddress: SocketAddress?
    /// If set, queued writes must make progress within this time or the connection is cut off with
    /// ``RuntimeError/writeTimedOut(peer:after:)`` (a peer that stops reading cannot pin memory forever).
    public var writeTimeout: Duration?
    /// Called once when the connection closes: nil when its owner closed it, the reason when it was cut off
    /// or failed.
    public var onClose: ((RuntimeError?) -> Void)?

    private var handle: UnsafeMutablePointer<uv_tcp_t>?
    /// One timer for every deadline of the connection (connect, read deadline, idle, write progress), armed at
    /// the earliest; re-evaluated when it fires, so moving a deadline later costs nothing.
    private var timer: UnsafeMutablePointer<uv_timer_t>?
    private var timerArmedAt: UInt64?
    private var closeReason: RuntimeError?

    private var connectCompletion: ((Result<TCPConnection, RuntimeError>) -> Void)?
    private var connectTimeout: Duration = .zero
    private var connectDeadline: UInt64?

    private var reading = false
    private var limits = ReadLimits(maxBytes: 0)
    private var bytesRead = 0
    private var readDeadline: UInt64?
    private var lastReadAt: UInt64 = 0
    private var onData: ((UnsafeRawBufferPointer) -> Void)?
    private var onEnd: ((ReadEnd) -> Void)?
    private var readBuffer: UnsafeMutableRawBufferPointer?
    private static let readBufferSize = 65_536

    fileprivate var pendingWrites = 0
    private var writeDeadline: UInt64?
    private var writeShut = false

    private init(loop: EventLoop, remoteAddress: SocketAddress?) throws(RuntimeError) {
        loop.assertInLoopThread()
        guard !loop.resources.isShuttingDown else { throw .loopShutDown }
        self.loop = loop
        self.remoteAddress = remoteAddress
        let handle = UnsafeMutablePointer<uv_tcp_t>.allocate(capacity: 1)
        uv_tcp_init(loop.uvLoop, handle)
        handle.pointee.data = Unmanaged.passUnretained(self).toOpaque()
        let timer = UnsafeMutablePointer<uv_timer_t>.allocate(capacity: 1)
        uv_timer_init(loop.uvLoop, timer)
        timer.pointee.data = Unmanaged.passUnretained(self).toOpaque()
        self.handle = handle
        self.timer = timer
        loop.resources.register(self)
    }

    /// Accepts a pending connection on a listening stream.
    convenience init(accepting server: UnsafeMutablePointer<uv_stream_t>, loop: EventLoop) throws(RuntimeError) {
        try self.init(loop: loop, remoteAddress: nil)
        guard let handle else { throw .closed }
        let status = uv_accept(server, asStream(handle))
        guard status == 0 else {
            close()
            throw RuntimeError.from(code: status, operation: "accept", address: nil)
        }
        uv_tcp_nodelay(handle, 1)
        remoteAddress = address(uv_tcp_getpeername)
        localAddress = address(uv_tcp_getsockname)
    }

    /// Connects to `address`. `completion` gets the connection once established, or the reason it was not:
    /// ``RuntimeError/connectionRefused(_:)``, ``RuntimeError/connectTimedOut(_:after:)``,
    /// ``RuntimeError/loopShutDown``... It may run before `connect` returns when the attempt fails at once.
    /// - Returns: the connection being established; closing it abandons the attempt (completion gets `.closed`).
    @discardableResult
    public static func connect(
        loop: EventLoop, to address: SocketAddress, timeout: Duration,
        completion: @escaping (Result<TCPConnection, RuntimeError>) -> Void
    ) -> TCPConnection? {
        let connection: TCPConnection
        do {
            connection = try TCPConnection(loop: loop, remoteAddress: address)
        } catch {
            completion(.failure(error))
            return nil
        }
        connection.beginConnect(to: address, timeout: timeout, completion: completion)
        return connection
    }

    private func beginConnect(to address: SocketAddress, timeout: Duration, completion: @escaping (Result<TCPConnection, RuntimeError>) -> Void) {
        guard let handle else { return }
        connectCompletion = completion
        connectTimeout = timeout
        let request = UnsafeMutablePointer<uv_connect_t>.allocate(capacity: 1)
        var storage = address.storage
        let status = withSockAddr(&storage) { uv_tcp_connect(request, handle, $0, tcpConnected) }
        guard status == 0 else {
            request.deallocate()
            fail(.from(code: status, operation: "connect to", address: address))
            return
        }
        connectDeadline = deadline(after: timeout)
        rearmTimer()
    }

    fileprivate func connected(status: Int32) {
        connectDeadline = nil
        guard let completion = connectCompletion else { return }
        connectCompletion = nil
        if status == 0, let handle {
            uv_tcp_nodelay(handle, 1)
            localAddress = address(uv_tcp_getsockname)
            rearmTimer()
            completion(.success(self))
            return
        }
        let reason: RuntimeError =
            status == UV_ECANCELED.rawValue
            ? (closeReason ?? .closed) : .from(code: status, operation: "connect to", address: remoteAddress)
        if handle != nil { fail(reason) }
        completion(.failure(reason))
    }

    // MARK: reading

    /// Starts reading under `limits`, counted from now. Replaces any earlier handlers and renews the budget.
    /// On a closed connection `onEnd` is called at once with the reason it closed.
    public func startReading(
        limits: ReadLimits, onData: @escaping (UnsafeRawBufferPointer) -> Void, onEnd: @escaping (ReadEnd) -> Void
    ) {
        loop.assertInLoopThread()
        guard let handle else {
            onEnd(.failed(closeReason ?? .closed))
            return
        }
        self.onData = onData
        self.onEnd = onEnd
        if readBuffer == nil { readBuffer = .allocate(byteCount: Self.readBufferSize, alignment: 16) }
        let status = reading ? 0 : uv_read_start(asStream(handle), tcpAllocate, tcpRead)
        guard status == 0 else {
            fail(.from(code: status, operation: "read from", address: remoteAddress))
            return
        }
        reading = true
        renewReadLimits(limits)
    }

    /// A fresh budget of `limits.maxBytes` and fresh deadlines, from now: for a connection that carries one
    /// request after another.
    public func renewReadLimits(_ limits: ReadLimits) {
        loop.assertInLoopThread()
        self.limits = limits
        bytesRead = 0
        let now = uv_hrtime()
        lastReadAt = now
        readDeadline = limits.deadline.map { deadline(after: $0, from: now) }
        rearmTimer()
    }

    /// Stops reading; the handlers are released and the read deadlines no longer apply.
    public func stopReading() {
        loop.assertInLoopThread()
        guard reading else { return }
        reading = false
        onData = nil
        onEnd = nil
        readDeadline = nil
        if let handle { uv_read_stop(asStream(handle)) }
        rearmTimer()
    }

    fileprivate func allocate(_ buffer: UnsafeMutablePointer<uv_buf_t>) {
        buffer.pointee = uv_buf_init(readBuffer?.baseAddress?.assumingMemoryBound(to: CChar.self), UInt32(readBuffer?.count ?? 0))
    }

    fileprivate func didRead(count: Int, base: UnsafeMutablePointer<CChar>?) {
        guard reading else { return }
        if count > limits.maxBytes - bytesRead {
            fail(.sizeCapExceeded(peer: remoteAddress, cap: limits.maxBytes))
            return
        }
        bytesRead += count
        if limits.idleTimeout != nil { lastReadAt = uv_hrtime() }
        onData?(UnsafeRawBufferPointer(start: base, count: count))
    }

    fileprivate func didReachEnd() {
        guard reading else { return }
        let onEnd = self.onEnd
        stopReading()
        onEnd?(.endOfStream)
    }

    // MARK: writing

    /// Queues `bytes` (copied) for sending. `completion` runs once the kernel has taken them all, or with the
    /// failure; on a closed connection, at once.
    public func write(_ bytes: UnsafeRawBufferPointer, completion: ((Result<Void, RuntimeError>) -> Void)? = nil) {
        loop.assertInLoopThread()
        guard let handle, !writeShut else {
            completion?(.failure(closeReason ?? .closed))
            return
        }
        let request = TCPWriteRequest(connection: self, bytes: bytes, completion: completion)
        let uvRequest = UnsafeMutablePointer<uv_write_t>.allocate(capacity: 1)
        uvRequest.pointee.data = Unmanaged.passRetained(request).toOpaque()
        var buffer = uv_buf_init(request.bytes.baseAddress?.assumingMemoryBound(to: CChar.self), UInt32(request.count))
        let status = uv_write(uvRequest, asStream(handle), &buffer, 1, tcpWritten)
        guard status == 0 else {
            Unmanaged<TCPWriteRequest>.fromOpaque(uvRequest.pointee.data).release()
            uvRequest.deallocate()
            let error = RuntimeError.from(code: status, operation: "write to", address: remoteAddress)
            fail(error)
            completion?(.failure(error))
            return
        }
        pendingWrites += 1
        if let writeTimeout, writeDeadline == nil {
            writeDeadline = deadline(after: writeTimeout)
            rearmTimer()
        }
    }

    /// Queues `bytes` for sending; see ``write(_:completion:)-(UnsafeRawBufferPointer,_)``.
    public func write(_ bytes: [UInt8], completion: ((Result<Void, RuntimeError>) -> Void)? = nil) {
        bytes.withUnsafeBytes { write($0, completion: completion) }
    }

    /// Whether the peer has sent bytes the connection has not read yet (a peek at the socket, nothing
    /// consumed). For decisions about a connection just accepted: a client that has already sent its
    /// request is not silent.
    package var hasUnreadBytes: Bool {
        guard let handle else { return false }
        var fd: uv_os_fd_t = -1
        guard uv_fileno(asHandle(handle), &fd) == 0 else { return false }
        var byte: UInt8 = 0
        return recv(fd, &byte, 1, Int32(MSG_PEEK) | Int32(MSG_DONTWAIT)) > 0
    }

    /// Bytes queued but not yet taken by the kernel.
    public var pendingWriteBytes: Int {
        guard let handle else { return 0 }
        return uv_stream_get_write_queue_size(asStream(handle))
    }

    fileprivate func writeFinished(status: Int32, completion: ((Result<Void, RuntimeError>) -> Void)?) {
        pendingWrites -= 1
        if status == 0 {
            // Progress: the peer is reading. Renew the write deadline while more is queued.
            if let writeTimeout, pendingWrites > 0 {
                writeDeadline = deadline(after: writeTimeout)
            } else {
                writeDeadline = nil
            }
            completion?(.success(()))
            return
        }
        let error: RuntimeError =
            status == UV_ECANCELED.rawValue
            ? (closeReason ?? .closed) : .from(code: status, operation: "write to", address: remoteAddress)
        if handle != nil { fail(error) }
        completion?(.failure(error))
    }

    /// Half-closes: sends FIN once every queued write is out; reading goes on. Later writes fail with `.closed`.
    public func shutdownWrite(completion: ((Result<Void, RuntimeError>) -> Void)? = nil) {
        loop.assertInLoopThread()
        guard let handle, !writeShut else {
            completion?(.failure(closeReason ?? .closed))
            return
        }
        writeShut = true
        let request = UnsafeMutablePointer<uv_shutdown_t>.allocate(capacity: 1)
        request.pointee.data = completion.map { Unmanaged.passRetained(ShutdownCompletion($0)).toOpaque() }
        let status = uv_shutdown(request, asStream(handle), tcpShutDown)
        guard status == 0 else {
            if let data = request.pointee.data { Unmanaged<ShutdownCompletion>.fromOpaque(data).release() }
            request.deallocate()
            completion?(.failure(.from(code: status, operation: "shut down writing to", address: remoteAddress)))
            return
        }
    }

    fileprivate func shutdownFinished(status: Int32) -> Result<Void, RuntimeError> {
        if status == 0 { return .success(()) }
        if status == UV_ECANCELED.rawValue { return .failure(closeReason ?? .closed) }
        return .failure(.from(code: status, operation: "shut down writing to", address: remoteAddress))
    }

    // MARK: deadlines

    private func deadline(after duration: Duration, from now: UInt64 = uv_hrtime()) -> UInt64 {
        let (sum, overflow) = now.addingReportingOverflow(UInt64(max(0, duration.nanosecondsClamped)))
        return overflow ? .max : sum
    }

    private var earliestDeadline: UInt64? {
        var earliest: UInt64?
        func consider(_ candidate: UInt64?) {
            if let candidate, candidate < (earliest ?? .max) { earliest = candidate }
        }
        consider(connectDeadline)
        if reading {
            consider(readDeadline)
            if let idle = limits.idleTimeout { consider(deadline(after: idle, from: lastReadAt)) }
        }
        if pendingWrites > 0 { consider(writeDeadline) }
        return earliest
    }

    private func rearmTimer() {
        guard let timer else { return }
        guard let earliest = earliestDeadline else {
            if timerArmedAt != nil {
                uv_timer_stop(timer)
                timerArmedAt = nil
            }
            return
        }
        // A later deadline than the armed one waits for the armed firing, which re-evaluates.
        if let armed = timerArmedAt, armed <= earliest { return }
        timerArmedAt = earliest
        uv_timer_start(timer, tcpTimerFired, timerTimeout(loop.uvLoop, untilNanos: earliest), 0)
    }

    fileprivate func timerFired() {
        timerArmedAt = nil
        let now = uv_hrtime()
        if let connectDeadline, now >= connectDeadline, let remoteAddress {
            // Closing cancels the connect; its callback reports this reason.
            fail(.connectTimedOut(remoteAddress, after: connectTimeout))
            return
        }
        if reading {
            if let readDeadline, now >= readDeadline, let limit = limits.deadline {
                fail(.readDeadlineExceeded(peer: remoteAddress, deadline: limit))
                return
            }
            if let idle = limits.idleTimeout, now >= deadline(after: idle, from: lastReadAt) {
                fail(.idleTimeout(peer: remoteAddress, after: idle))
                return
            }
        }
        if pendingWrites > 0, let writeDeadline, now >= writeDeadline, let writeTimeout {
            fail(.writeTimedOut(peer: remoteAddress, after: writeTimeout))
            return
        }
        rearmTimer()
    }

    // MARK: closing

    /// True once closed, by its owner, by a cut-off or failure, or by the loop shutting down.
    public var isClosed: Bool { handle == nil }

    /// Closes the connection at once. Writes still queued are dropped and complete with ``RuntimeError/closed``;
    /// a pending connect too. To send a reply and then close, close in the reply's write completion (or in
    /// ``shutdownWrite(completion:)``'s). `onEnd` is not called for a close the owner asked for. Idempotent.
    public func close() { close(reason: nil) }

    func close(reason: RuntimeError?) {
        if let reason {
            fail(reason)
        } else {
            closeHandles()
        }
    }

    /// Closes with `reason` and tells the reader, if one is reading.
    private func fail(_ reason: RuntimeError) {
        guard handle != nil else { return }
        closeReason = reason
        let onEnd = reading ? self.onEnd : nil
        closeHandles()
        onEnd?(.failed(reason))
    }

    private func closeHandles() {
        guard let handle, let timer else { return }
        self.handle = nil
        self.timer = nil
        reading = false
        onData = nil
        onEnd = nil
        timerArmedAt = nil
        // The timer's memory is freed by its own close callback; it never fires after uv_close.
        uv_close(asHandle(timer), freeHandleOnClose)
        uv_close(asHandle(handle), notifyOwnerAndFreeOnClose)
    }

    func handleDidClose() {
        // Called after libuv has run every pending write, connect and shutdown callback of this handle.
        readBuffer?.deallocate()
        readBuffer = nil
        let onClose = self.onClose
        self.onClose = nil
        loop.resources.unregister(self)
        onClose?(closeReason)
    }

    private func address(
        _ query: (UnsafePointer<uv_tcp_t>?, UnsafeMutablePointer<sockaddr>?, UnsafeMutablePointer<Int32>?) -> Int32
    ) -> SocketAddress? {
        guard let handle else { return nil }
        var storage = sockaddr_storage()
        var length = Int32(MemoryLayout<sockaddr_storage>.size)
        let status = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { query(handle, $0, &length) }
        }
        return status == 0 ? SocketAddress(storage: storage) : nil
    }
}

/// A queued write: owns a copy of the bytes until libuv's callback, whatever happens to the connection.
private final class TCPWriteRequest {
    let connection: TCPConnection
    let bytes: UnsafeMutableRawBufferPointer
    let count: Int
    let completion: ((Result<Void, RuntimeError>) -> Void)?

    init(connection: TCPConnection, bytes: UnsafeRawBufferPointer, completion: ((Result<Void, RuntimeError>) -> Void)?) {
        self.connection = connection
        self.bytes = .allocate(byteCount: max(1, bytes.count), alignment: 1)
        self.bytes.copyMemory(from: bytes)
        self.count = bytes.count
        self.completion = completion
    }

    deinit { bytes.deallocate() }
}

private final class ShutdownCompletion {
    let completion: (Result<Void, RuntimeError>) -> Void
    init(_ completion: @escaping (Result<Void, RuntimeError>) -> Void) { self.completion = completion }
}

private func tcpConnected(_ request: UnsafeMutablePointer<uv_connect_t>?, _ status: Int32) {
    guard let request else { return }
    let stream = request.pointee.handle
    request.deallocate()
    guard let stream, let connection = owner(of: asHandle(stream), as: TCPConnection.self) else { return }
    connection.connected(status: status)
}

private func tcpAllocate(_ handle: UnsafeMutablePointer<uv_handle_t>?, _: Int, _ buffer: UnsafeMutablePointer<uv_buf_t>?) {
    guard let buffer else { return }
    guard let connection = owner(of: handle, as: TCPConnection.self) else {
        buffer.pointee = uv_buf_init(nil, 0)
        return
    }
    connection.allocate(buffer)
}

private func tcpRead(_ stream: UnsafeMutablePointer<uv_stream_t>?, _ count: Int, _ buffer: UnsafePointer<uv_buf_t>?) {
    guard let stream, let connection = owner(of: asHandle(stream), as: TCPConnection.self) else { return }
    if count > 0 {
        connection.didRead(count: count, base: buffer?.pointee.base)
    } else if count == Int(UV_EOF.rawValue) {
        connection.didReachEnd()
    } else if count < 0 {
        connection.close(reason: .from(code: Int32(count), operation: "read from", address: connection.remoteAddress))
    }
}

private func tcpWritten(_ request: UnsafeMutablePointer<uv_write_t>?, _ status: Int32) {
    guard let request, let data = request.pointee.data else { return }
    let write = Unmanaged<TCPWriteRequest>.fromOpaque(data).takeRetainedValue()
    request.deallocate()
    write.connection.writeFinished(status: status, completion: write.completion)
}

private func tcpShutDown(_ request: UnsafeMutablePointer<uv_shutdown_t>?, _ status: Int32) {
    guard let request else { return }
    let stream = request.pointee.handle
    let data = request.pointee.data
    request.deallocate()
    guard let data else { return }
    let completion = Unmanaged<ShutdownCompletion>.fromOpaque(data).takeRetainedValue()
    guard let stream, let connection = owner(of: asHandle(stream), as: TCPConnection.self) else {
        completion.completion(.failure(.closed))
        return
    }
    completion.completion(connection.shutdownFinished(status: status))
}

private func tcpTimerFired(_ timer: UnsafeMutablePointer<uv_timer_t>?) {
    guard let timer, let connection = owner(of: asHandle(timer), as: TCPConnection.self) else { return }
    connection.timerFired()
}
