import GossipRuntime
import ProtocolSupport

/// A received datagram, copied out of the socket's buffer.
public struct Datagram: Sendable, Equatable {
    public var bytes: [UInt8]
    public var source: SocketAddress

    public init(bytes: [UInt8], source: SocketAddress) {
        self.bytes = bytes
        self.source = source
    }
}

/// A UDP socket usable from any task: sends are awaited, received datagrams arrive on an `AsyncStream`.
///
/// The socket itself lives on the loop thread (a ``UDPSocket``); this type only hands work to the loop. When
/// the consumer falls behind, the stream keeps the oldest `bufferLimit` datagrams and drops newer ones (counted
/// in ``droppedDatagrams()``): the loop never waits for a slow consumer.
public final class AsyncUDPSocket: Sendable {
    public let loop: EventLoop
    /// The bound address, with the OS-chosen port when bound to port 0.
    public let localAddress: SocketAddress
    /// Every datagram received, in arrival order; finishes when the socket closes.
    public let datagrams: AsyncStream<Datagram>
    private let socket: LoopBound<UDPSocket>
    private let dropped: LoopBound<Counter>

    private final class Counter { var value = 0 }

    private init(loop: EventLoop, localAddress: SocketAddress, datagrams: AsyncStream<Datagram>, socket: LoopBound<UDPSocket>, dropped: LoopBound<Counter>) {
        self.loop = loop
        self.localAddress = localAddress
        self.datagrams = datagrams
        self.socket = socket
        self.dropped = dropped
    }

    /// Binds a socket on `loop` and starts receiving.
    /// - Throws: ``RuntimeError/addressInUse(_:)`` and the other binding errors, ``RuntimeError/loopShutDown``.
    public static func bind(
        on loop: EventLoop, to address: SocketAddress, receiveBufferSize: Int? = nil, bufferLimit: Int = 65_536
    ) async throws -> AsyncUDPSocket {
        let (stream, continuation) = AsyncStream<Datagram>.makeStream(bufferingPolicy: .bufferingOldest(bufferLimit))
        do {
            let (socket, dropped, local) = try await loop.submit {
                let socket = try UDPSocket(loop: loop, bindingTo: address, receiveBufferSize: receiveBufferSize)
                let dropped = Counter()
                socket.onClose = { continuation.finish() }
                do {
                    try socket.startReceiving { bytes, source in
                        if case .dropped = continuation.yield(Datagram(bytes: Array(bytes), source: source)) {
                            dropped.value += 1
                        }
                    }
                } catch {
                    socket.close()
                    throw error
                }
                return (LoopBound(socket, loop: loop), LoopBound(dropped, loop: loop), socket.localAddress)
            }
            return AsyncUDPSocket(loop: loop, localAddress: local, datagrams: stream, socket: socket, dropped: dropped)
        } catch {
            continuation.finish()
            throw error
        }
    }

    /// Sends one datagram and returns once libuv has handed it to the kernel.
    /// - Throws: ``RuntimeError/closed``, ``RuntimeError/loopShutDown``, ``RuntimeError/messageTooLarge(size:)``...
    public func send(_ bytes: [UInt8], to destination: SocketAddress) async throws {
        let socket = self.socket
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let accepted = loop.execute {
                socket.value.send(bytes, to: destination) { continuation.resume(with: $0) }
            }
            if !accepted { continuation.resume(throwing: RuntimeError.loopShutDown) }
        }
    }

    /// Datagrams the stream dropped because its consumer fell more than `bufferLimit` behind.
    public func droppedDatagrams() async throws -> Int {
        let dropped = self.dropped
        return try await loop.submit { dropped.value.value }
    }

    /// The socket's counters.
    public func statistics() async throws -> UDPSocket.Statistics {
        let socket = self.socket
        return try await loop.submit { socket.value.statistics }
    }

    /// Closes the socket; ``datagrams`` finishes. Idempotent; does nothing once the loop has shut down.
    public func close() async {
        let socket = self.socket
        _ = try? await loop.submit { socket.value.close() }
    }
}
