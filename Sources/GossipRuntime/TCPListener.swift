import CLibUV
import ProtocolSupport

/// A listening TCP socket on the loop thread; hands every accepted connection to its owner.
///
/// See ``TCPConnection`` for the whole TCP API.
public final class TCPListener: LoopResource {
    public let loop: EventLoop
    /// The bound address, with the OS-chosen port when bound to port 0.
    public let localAddress: SocketAddress
    /// Connections the kernel announced that could not be accepted.
    public private(set) var acceptFailures = 0

    private var handle: UnsafeMutablePointer<uv_tcp_t>?
    private let onAccept: (TCPConnection) -> Void

    /// Binds `address` and listens. Accepted connections are not read from until their owner calls
    /// ``TCPConnection/startReading(limits:onData:onEnd:)``.
    /// - Throws: ``RuntimeError/addressInUse(_:)`` naming the address, or another ``RuntimeError``.
    public init(
        loop: EventLoop, bindingTo address: SocketAddress, backlog: Int32 = 128,
        onAccept: @escaping (TCPConnection) -> Void
    ) throws(RuntimeError) {
        loop.assertInLoopThread()
        guard !loop.resources.isShuttingDown else { throw .loopShutDown }
        self.loop = loop
        self.onAccept = onAccept
        let handle = UnsafeMutablePointer<uv_tcp_t>.allocate(capacity: 1)
        uv_tcp_init(loop.uvLoop, handle)
        handle.pointee.data = nil
        var storage = address.storage
        // libuv may defer EADDRINUSE from bind to listen: both name the address.
        var status = withSockAddr(&storage) { uv_tcp_bind(handle, $0, 0) }
        if status == 0 { status = uv_listen(asStream(handle), backlog, tcpConnectionArrived) }
        var local: SocketAddress?
        if status == 0 {
            var bound = sockaddr_storage()
            var length = Int32(MemoryLayout<sockaddr_storage>.size)
            status = withUnsafeMutablePointer(to: &bound) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { uv_tcp_getsockname(handle, $0, &length) }
            }
            local = SocketAddress(storage: bound)
        }
        guard status == 0, let local else {
            uv_close(asHandle(handle), freeHandleOnClose)
            throw RuntimeError.from(code: status, operation: "listen on", address: address)
        }
        self.localAddress = local
        handle.pointee.data = Unmanaged.passUnretained(self).toOpaque()
        self.handle = handle
        loop.resources.register(self)
    }

    /// True once closed.
    public var isClosed: Bool { handle == nil }

    /// Stops listening. Connections already accepted stay open. Idempotent.
    public func close() { close(reason: nil) }

    func close(reason: RuntimeError?) {
        guard let handle else { return }
        self.handle = nil
        uv_close(asHandle(handle), notifyOwnerAndFreeOnClose)
    }

    func handleDidClose() { loop.resources.unregister(self) }

    fileprivate func connectionArrived(status: Int32) {
        guard let handle, status == 0 else {
            acceptFailures += 1
            return
        }
        do {
            onAccept(try TCPConnection(accepting: asStream(handle), loop: loop))
        } catch {
            acceptFailures += 1
        }
    }
}

private func tcpConnectionArrived(_ server: UnsafeMutablePointer<uv_stream_t>?, _ status: Int32) {
    guard let server, let listener = owner(of: asHandle(server), as: TCPListener.self) else { return }
    listener.connectionArrived(status: status)
}
