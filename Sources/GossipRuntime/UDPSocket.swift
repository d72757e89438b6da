import CLibUV
import ProtocolSupport

#if canImport(Glibc)
import Glibc
#endif

/// A bound UDP socket on the loop thread.
///
/// Datagrams are received into one buffer the socket reuses, and handed to the receive handler as a view that
/// is valid only during the call (copy what must be kept). Sends without a completion take libuv's
/// synchronous fast path (`uv_udp_try_send`) and fall back to a queued send holding its own copy of the bytes.
public final class UDPSocket: LoopResource {
    /// The largest datagram the socket receives whole; longer ones are counted in `truncated` and dropped.
    public static let receiveBufferSize = 65_536

    /// Counters for what the socket saw; untrusted input that was refused is counted here, never trapped on.
    public struct Statistics: Sendable, Equatable {
        public var datagramsReceived = 0
        public var datagramsSent = 0
        /// Datagrams longer than the receive buffer, dropped.
        public var truncated = 0
        public var receiveErrors = 0
        public var sendFailures = 0
    }

    public let loop: EventLoop
    /// The address the socket is bound to, with the port the OS chose when bound to port 0.
    public let localAddress: SocketAddress
    public private(set) var statistics = Statistics()
    /// The most recent failed send without a completion, for diagnostics.
    public private(set) var lastSendError: RuntimeError?
    /// Called once when the socket closes, whoever closed it (its owner, or the loop shutting down).
    public var onClose: (() -> Void)?

    private var handle: UnsafeMutablePointer<uv_udp_t>?
    private var receiveBuffer: UnsafeMutableRawBufferPointer?
    private var receiveHandler: ((UnsafeRawBufferPointer, SocketAddress) -> Void)?
    // One-entry caches: a gossip node talks to the same peers over and over, so converting addresses each
    // time would allocate on every datagram.
    private var lastSource: SocketAddress?
    private var lastSourceStorage = sockaddr_storage()
    private var lastDestination: SocketAddress?
    private var lastDestinationStorage = sockaddr_storage()

    /// Binds a socket to `address` (IPv4 or IPv6; port 0 lets the OS choose).
    /// - Parameter receiveBufferSize: if given, asks the kernel for this SO_RCVBUF (it may cap it).
    /// - Throws: ``RuntimeError/addressInUse(_:)`` naming the address, or another ``RuntimeError``.
    public init(loop: EventLoop, bindingTo address: SocketAddress, receiveBufferSize: Int? = nil) throws(RuntimeError) {
        loop.assertInLoopThread()
        guard !loop.resources.isShuttingDown else { throw .loopShutDown }
        self.loop = loop
        let handle = UnsafeMutablePointer<uv_udp_t>.allocate(capacity: 1)
        uv_udp_init(loop.uvLoop, handle)
        var storage = address.storage
        let status = withSockAddr(&storage) { uv_udp_bind(handle, $0, 0) }
        var bound = sockaddr_storage()
        var length = Int32(MemoryLayout<sockaddr_storage>.size)
        let nameStatus = status == 0 ? withUnsafeMutablePointer(to: &bound) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { uv_udp_getsockname(handle, $0, &length) }
        } : status
        guard status == 0, nameStatus == 0, let local = SocketAddress(storage: bound) else {
            handle.pointee.data = nil
            uv_close(asHandle(handle), freeHandleOnClose)
            throw RuntimeError.from(code: status != 0 ? status : nameStatus, operation: "bind UDP", address: address)
        }
        self.localAddress = local
        if let receiveBufferSize {
            var size = Int32(clamping: receiveBufferSize)
            uv_recv_buffer_size(asHandle(handle), &size)
        }
        handle.pointee.data = Unmanaged.passUnretained(self).toOpaque()
        self.handle = handle
        loop.resources.register(self)
    }

    /// The kernel's receive buffer size (SO_RCVBUF as Linux reports it, which is double what was asked).
    public var kernelReceiveBufferSize: Int {
        guard let handle else { return 0 }
        var size: Int32 = 0
        uv_recv_buffer_size(asHandle(handle), &size)
        return Int(size)
    }

    /// Starts delivering datagrams to `handler` with their source address. Replaces any earlier handler.
    public func startReceiving(_ handler: @escaping (UnsafeRawBufferPointer, SocketAddress) -> Void) throws(RuntimeError) {
        loop.assertInLoopThread()
        guard let handle else { throw .closed }
        receiveHandler = handler
        if receiveBuffer == nil {
            receiveBuffer = .allocate(byteCount: Self.receiveBufferSize, alignment: 16)
        }
        let status = uv_udp_recv_start(handle, udpAllocate, udpReceived)
        // Already receiving is fine: the handler was replaced above.
        guard status == 0 || status == UV_EALREADY.rawValue else {
            throw RuntimeError.from(code: status, operation: "receive UDP on", address: localAddress)
        }
    }

    /// Stops delivering datagrams; the kernel keeps queueing them until its buffer is full.
    public func stopReceiving() {
        loop.assertInLoopThread()
        guard let handle else { return }
        uv_udp_recv_stop(handle)
        receiveHandler = nil
    }

    /// Sends one datagram, fire and forget. A failure is counted in ``statistics`` and kept in ``lastSendError``.
    public func send(_ bytes: UnsafeRawBufferPointer, to destination: SocketAddress) {
        loop.assertInLoopThread()
        guard let handle else {
            recordSendFailure(.closed)
            return
        }
        if destination != lastDestination {
            lastDestination = destination
            lastDestinationStorage = destination.storage
        }
        var buffer = uv_buf_init(
            UnsafeMutableRawPointer(mutating: bytes.baseAddress)?.assumingMemoryBound(to: CChar.self), UInt32(bytes.count))
        let sent = withSockAddr(&lastDestinationStorage) { uv_udp_try_send(handle, &buffer, 1, $0) }
        if sent >= 0 {
            statistics.datagramsSent += 1
        } else if sent == UV_EAGAIN.rawValue {
            // The kernel buffer is full or sends are queued: queue this one too, in order.
            enqueueSend(bytes, to: destination, completion: nil)
        } else {
            recordSendFailure(sendError(sent, size: bytes.count, destination: destination))
        }
    }

    /// Sends one datagram, fire and forget.
    public func send(_ bytes: [UInt8], to destination: SocketAddress) {
        bytes.withUnsafeBytes { send($0, to: destination) }
    }

    /// Sends one datagram and reports the outcome to `completion`, always later on the loop thread (never
    /// before this call returns). A send still pending at shutdown completes with ``RuntimeError/loopShutDown``.
    public func send(_ bytes: [UInt8], to destination: SocketAddress, completion: @escaping (Result<Void, RuntimeError>) -> Void) {
        loop.assertInLoopThread()
        guard handle != nil else {
            // Keep the promise of a later call even when there is nothing to send.
            let timer = LoopTimer(loop: loop)
            timer.schedule(after: .zero) { [timer] in
                timer.close()
                completion(.failure(.closed))
            }
            if !timer.isScheduled { completion(.failure(.closed)) }
            return
        }
        bytes.withUnsafeBytes { enqueueSend($0, to: destination, completion: completion) }
    }

    private func enqueueSend(_ bytes: UnsafeRawBufferPointer, to destination: SocketAddress, completion: ((Result<Void, RuntimeError>) -> Void)?) {
        guard let handle else { return }
        let request = UDPSendRequest(socket: self, bytes: bytes, destination: destination, completion: completion)
        let uvRequest = UnsafeMutablePointer<uv_udp_send_t>.allocate(capacity: 1)
        uvRequest.pointee.data = Unmanaged.passRetained(request).toOpaque()
        var buffer = uv_buf_init(request.bytes.baseAddress?.assumingMemoryBound(to: CChar.self), UInt32(request.count))
        var storage = destination.storage
        let status = withSockAddr(&storage) { uv_udp_send(uvRequest, handle, &buffer, 1, $0, udpSendCompleted) }
        if status != 0 {
            Unmanaged<UDPSendRequest>.fromOpaque(uvRequest.pointee.data).release()
            uvRequest.deallocate()
            request.finish(.failure(sendError(status, size: bytes.count, destination: destination)))
        }
    }

    fileprivate func sendError(_ status: Int32, size: Int, destination: SocketAddress) -> RuntimeError {
        status == UV_EMSGSIZE.rawValue ? .messageTooLarge(size: size) : .from(code: status, operation: "send UDP to", address: destination)
    }

    fileprivate func recordSendFailure(_ error: RuntimeError) {
        statistics.sendFailures += 1
        lastSendError = error
    }

    fileprivate func recordSent() { statistics.datagramsSent += 1 }

    /// True once ``close()`` was called or the loop shut down.
    public var isClosed: Bool { handle == nil }

    /// Stops receiving and closes the socket; queued sends complete with a failure. Idempotent.
    public func close() { close(reason: nil) }

    func close(reason: RuntimeError?) {
        guard let handle else { return }
        self.handle = nil
        receiveHandler = nil
        uv_close(asHandle(handle), notifyOwnerAndFreeOnClose)
    }

    func handleDidClose() {
        // After the close callback libuv calls neither the allocator nor the receive callback again.
        receiveBuffer?.deallocate()
        receiveBuffer = nil
        let onClose = self.onClose
        self.onClose = nil
        loop.resources.unregister(self)
        onClose?()
    }

    // MARK: C callbacks

    fileprivate func allocate(_ buffer: UnsafeMutablePointer<uv_buf_t>) {
        guard let receiveBuffer else {
            buffer.pointee = uv_buf_init(nil, 0)
            return
        }
        buffer.pointee = uv_buf_init(receiveBuffer.baseAddress?.assumingMemoryBound(to: CChar.self), UInt32(receiveBuffer.count))
    }

    fileprivate func received(count: Int, base: UnsafeMutablePointer<CChar>?, from address: UnsafePointer<sockaddr>?, flags: UInt32) {
        if count < 0 {
            statistics.receiveErrors += 1
            return
        }
        // count == 0 without an address means "nothing more to read now"; with an address, an empty datagram.
        guard let address else { return }
        if flags & UInt32(UV_UDP_PARTIAL.rawValue) != 0 {
            statistics.truncated += 1
            return
        }
        guard let source = source(address) else {
            statistics.receiveErrors += 1
            return
        }
        statistics.datagramsReceived += 1
        receiveHandler?(UnsafeRawBufferPointer(start: base, count: count), source)
    }

    /// The source as a SocketAddress, converted only when it differs from the previous datagram's.
    private func source(_ address: UnsafePointer<sockaddr>) -> SocketAddress? {
        let length = Int32(address.pointee.sa_family) == AF_INET6 ? MemoryLayout<sockaddr_in6>.size : MemoryLayout<sockaddr_in>.size
        if let lastSource {
            let same = withUnsafeBytes(of: &lastSourceStorage) { cached in
                cached.baseAddress.map { memcmp($0, address, length) == 0 } ?? false
            }
            if same { return lastSource }
        }
        guard let source = SocketAddress(sockaddr: address) else { return nil }
        withUnsafeMutableBytes(of: &lastSourceStorage) { $0.copyMemory(from: UnsafeRawBufferPointer(start: address, count: length)) }
        lastSource = source
        return source
    }
}

/// A queued send: owns a copy of the bytes until libuv's callback, whatever happens to the socket meanwhile.
private final class UDPSendRequest {
    let socket: UDPSocket
    /// At least one byte long, even for an empty datagram (`count` is the datagram's length).
    let bytes: UnsafeMutableRawBufferPointer
    let count: Int
    let destination: SocketAddress
    let completion: ((Result<Void, RuntimeError>) -> Void)?

    init(socket: UDPSocket, bytes: UnsafeRawBufferPointer, destination: SocketAddress, completion: ((Result<Void, RuntimeError>) -> Void)?) {
        self.socket = socket
        self.bytes = .allocate(byteCount: max(1, bytes.count), alignment: 1)
        self.bytes.copyMemory(from: bytes)
        self.count = bytes.count
        self.destination = destination
        self.completion = completion
    }

    deinit { bytes.deallocate() }

    func finish(_ result: Result<Void, RuntimeError>) {
        switch result {
        case .success: socket.recordSent()
        case .failure(let error): if completion == nil { socket.recordSendFailure(error) }
        }
        completion?(result)
    }
}

private func udpAllocate(_ handle: UnsafeMutablePointer<uv_handle_t>?, _: Int, _ buffer: UnsafeMutablePointer<uv_buf_t>?) {
    guard let buffer else { return }
    guard let socket = owner(of: handle, as: UDPSocket.self) else {
        buffer.pointee = uv_buf_init(nil, 0)
        return
    }
    socket.allocate(buffer)
}

private func udpReceived(
    _ handle: UnsafeMutablePointer<uv_udp_t>?, _ count: Int, _ buffer: UnsafePointer<uv_buf_t>?,
    _ address: UnsafePointer<sockaddr>?, _ flags: UInt32
) {
    guard let handle, let socket = owner(of: asHandle(handle), as: UDPSocket.self) else { return }
    socket.received(count: count, base: buffer?.pointee.base, from: address, flags: flags)
}

private func udpSendCompleted(_ uvRequest: UnsafeMutablePointer<uv_udp_send_t>?, _ status: Int32) {
    guard let uvRequest, let data = uvRequest.pointee.data else { return }
    let request = Unmanaged<UDPSendRequest>.fromOpaque(data).takeRetainedValue()
    uvRequest.deallocate()
    if status == 0 {
        request.finish(.success(()))
    } else if status == UV_ECANCELED.rawValue {
        request.finish(.failure(request.socket.loop.resources.isShuttingDown ? .loopShutDown : .closed))
    } else {
        request.finish(.failure(request.socket.sendError(status, size: request.count, destination: request.destination)))
    }
}
