import GossipRuntime
import ProtocolSupport

/// Request/reply over TCP from any task: connect, send the request, half-close, read the reply to its end.
public enum TCPClient {
    /// Sends `request` to `address` and returns everything the peer sends back before closing its side.
    /// - Parameters:
    ///   - connectTimeout: how long establishing the connection may take.
    ///   - responseLimits: the reply's size cap and deadlines; a peer that breaks them is cut off.
    ///   - writeTimeout: how long queued request bytes may sit without progress.
    /// - Throws: a ``RuntimeError``: ``RuntimeError/connectionRefused(_:)``, ``RuntimeError/connectTimedOut(_:after:)``,
    ///   ``RuntimeError/sizeCapExceeded(peer:cap:)``, ``RuntimeError/readDeadlineExceeded(peer:deadline:)``,
    ///   ``RuntimeError/loopShutDown``...
    public static func request(
        on loop: EventLoop, to address: SocketAddress, sending request: [UInt8],
        connectTimeout: Duration = .seconds(5), responseLimits: ReadLimits, writeTimeout: Duration? = nil
    ) async throws -> [UInt8] {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<[UInt8], any Error>) in
            let accepted = loop.execute {
                TCPConnection.connect(loop: loop, to: address, timeout: connectTimeout) { result in
                    switch result {
                    case .failure(let error):
                        continuation.resume(throwing: error)
                    case .success(let connection):
                        exchange(on: connection, request: request, limits: responseLimits, writeTimeout: writeTimeout) {
                            continuation.resume(with: $0)
                        }
                    }
                }
            }
            if !accepted { continuation.resume(throwing: RuntimeError.loopShutDown) }
        }
    }

    /// Loop thread: writes, half-closes, reads to the end; `finish` is called exactly once.
    private static func exchange(
        on connection: TCPConnection, request: [UInt8], limits: ReadLimits, writeTimeout: Duration?,
        finish: @escaping (Result<[UInt8], RuntimeError>) -> Void
    ) {
        var response: [UInt8] = []
        connection.writeTimeout = writeTimeout
        connection.startReading(
            limits: limits,
            onData: { response.append(contentsOf: $0) },
            onEnd: { end in
                switch end {
                case .endOfStream:
                    connection.close()
                    finish(.success(response))
                case .failed(let error):
                    finish(.failure(error))
                }
            })
        connection.write(request)
        connection.shutdownWrite()
    }
}
