import GossipTestSupport
import GossipRuntime
import ProtocolSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Weak references to loop-thread objects, written on the loop thread and read after the loop's thread has
/// been joined (the join orders the accesses).
final class Survivors: @unchecked Sendable {
    // @unchecked Sendable: written only on the loop thread before shutdown, read only after shutdown() has
    // joined that thread; the join is the synchronisation.
    weak var udp: UDPSocket?
    weak var connecting: TCPConnection?
    weak var writer: TCPConnection?
    weak var halfOpen: TCPConnection?
    weak var timer: LoopTimer?
}

@Suite("Shutdown: every handle closed, pending work completed, nothing left behind")
struct ShutdownTests {
    @Test("shutdown with pending sends, a pending connect, queued writes and half-open connections")
    func shutdownWithPendingWork() async throws {
        let loop = try EventLoop()
        let sends = 500
        let udpResults = Locked<[RuntimeError?]>([])
        let writeResults = Locked<[RuntimeError?]>([])
        let connectResults = Locked<[Result<SocketAddress?, RuntimeError>]>([])
        let serverEnds = Locked<[ReadEnd]>([])
        let closeReasons = Locked<[String: RuntimeError?]>([:])
        let survivors = Survivors()

        // A listener whose connections read until the peer half-closes, then stay open without replying.
        let (_, address) = try await startListener(on: loop) { connection in
            survivors.halfOpen = connection
            connection.onClose = { reason in closeReasons.update { $0["server"] = reason } }
            connection.startReading(
                limits: ReadLimits(maxBytes: 1 << 30), onData: { _ in },
                onEnd: { end in serverEnds.update { $0.append(end) } })
        }
        // A client that half-closes (so the server's side is half-open), and a writer whose peer never reads.
        let (_, sinkAddress) = try await startListener(on: loop) { connection in
            connection.onClose = { reason in closeReasons.update { $0["sink"] = reason } }
        }
        let established = Locked(0)
        _ = try await loop.submit {
            _ = TCPConnection.connect(loop: loop, to: address, timeout: .seconds(5)) { result in
                guard case .success(let connection) = result else { return }
                connection.write([1, 2, 3])
                connection.shutdownWrite()
                established.update { $0 += 1 }
            }
            _ = TCPConnection.connect(loop: loop, to: sinkAddress, timeout: .seconds(5)) { result in
                guard case .success(let connection) = result else { return }
                survivors.writer = connection
                connection.onClose = { reason in closeReasons.update { $0["writer"] = reason } }
                for _ in 0..<8 {
                    connection.write(Array(repeating: 7, count: 4 << 20)) { result in writeResults.update { $0.append(result.failure) } }
                }
                established.update { $0 += 1 }
            }
        }
        #expect(await eventually { established.value == 2 && serverEnds.value == [.endOfStream] })

        // Queue sends and a connect, then keep the loop busy until shutdown has been requested: the shutdown
        // is handled in the same wake-up, before libuv has polled, so all of it is still pending. (A fixed
        // 100 ms of busy loop was not always enough on a loaded machine for the request to arrive.)
        #expect(loop.execute {
            do {
                let udp = try UDPSocket(loop: loop, bindingTo: loopback)
                survivors.udp = udp
                for index in 0..<sends {
                    udp.send(payload(sequence: index, size: 1_000), to: udp.localAddress) { result in
                        udpResults.update { $0.append(result.failure) }
                    }
                }
            } catch {
                Issue.record("bind failed: \(error)")
            }
            survivors.connecting = TCPConnection.connect(loop: loop, to: address, timeout: .seconds(5)) { result in
                connectResults.update { $0.append(result.map(\.localAddress)) }
            }
            let timer = LoopTimer(loop: loop, after: .seconds(60)) {}
            survivors.timer = timer
            let held = ContinuousClock.now
            while loop.acceptsWork, ContinuousClock.now - held < .seconds(30) { usleep(1_000) }
        })
        try await Task.sleep(for: .milliseconds(20))
        await loop.shutdown()

        // Every pending operation completed exactly once, and says why.
        #expect(udpResults.value.count == sends)
        #expect(udpResults.value.allSatisfy { $0 == nil || $0 == .loopShutDown })
        #expect(udpResults.value.contains(.loopShutDown))
        #expect(connectResults.value == [.failure(.loopShutDown)])
        #expect(writeResults.value.count == 8)
        #expect(writeResults.value.contains(.loopShutDown))
        #expect(serverEnds.value == [.endOfStream])  // reading had ended; the half-open side was then closed
        #expect(closeReasons.value["server"] == .some(.loopShutDown))
        #expect(closeReasons.value["writer"] == .some(.loopShutDown))
        // Nothing survives: the loop released every owner once its handle had closed.
        #expect(survivors.udp == nil)
        #expect(survivors.connecting == nil)
        #expect(survivors.writer == nil)
        #expect(survivors.halfOpen == nil)
        #expect(survivors.timer == nil)

        // A second shutdown is a no-op.
        await loop.shutdown()
        #expect(!loop.execute {})
    }

    @Test("a reader is told the loop shut down; async sockets finish their streams")
    func readersAreTold() async throws {
        let loop = try EventLoop()
        let ends = Locked<[ReadEnd]>([])
        let (_, address) = try await startListener(on: loop) { connection in
            connection.startReading(limits: ReadLimits(maxBytes: 100), onData: { _ in }, onEnd: { end in ends.update { $0.append(end) } })
        }
        let socket = try await AsyncUDPSocket.bind(on: loop, to: loopback)
        let accepted = Locked(false)
        _ = try await loop.submit {
            _ = TCPConnection.connect(loop: loop, to: address, timeout: .seconds(5)) { result in
                if case .success = result { accepted.update { $0 = true } }
            }
        }
        #expect(await eventually { accepted.value })
        try await Task.sleep(for: .milliseconds(20))  // let the server side accept and start reading
        let consumer = Task { () -> Int in
            var count = 0
            for await _ in socket.datagrams { count += 1 }
            return count
        }
        let pendingRequest = Task {
            try await TCPClient.request(on: loop, to: address, sending: [1], responseLimits: ReadLimits(maxBytes: 10))
        }
        try await Task.sleep(for: .milliseconds(20))
        await loop.shutdown()
        #expect(ends.value.contains(.failed(.loopShutDown)))
        #expect(await consumer.value == 0)  // the stream finished rather than hanging
        await #expect(throws: RuntimeError.loopShutDown) { try await pendingRequest.value }
        await #expect(throws: RuntimeError.loopShutDown) { try await socket.send([1], to: socket.localAddress) }
        await socket.close()  // after shutdown: does nothing, does not hang
    }

    @Test("closing a connection with queued writes completes them with .closed")
    func closeWithQueuedWrites() async throws {
        try await withLoop { loop in
            let results = Locked<[RuntimeError?]>([])
            let (_, address) = try await startListener(on: loop) { _ in }
            _ = try await loop.submit {
                _ = TCPConnection.connect(loop: loop, to: address, timeout: .seconds(5)) { result in
                    guard case .success(let connection) = result else { return }
                    for _ in 0..<4 {
                        connection.write(Array(repeating: 1, count: 8 << 20)) { result in results.update { $0.append(result.failure) } }
                    }
                    connection.close()
                    connection.write([1]) { result in results.update { $0.append(result.failure) } }
                }
            }
            #expect(await eventually { results.value.count == 5 })
            #expect(results.value.last == .some(.closed))
            #expect(results.value.dropLast().contains(.closed))
        }
    }
}

extension Result {
    /// The error, or nil for a success: lets tests compare outcomes whose success carries no value.
    var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
