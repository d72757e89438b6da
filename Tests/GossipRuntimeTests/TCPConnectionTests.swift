import GossipTestSupport
import GossipRuntime
import ProtocolSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("TCP on loopback: exchanges, size caps, deadlines, clear errors")
struct TCPConnectionTests {
    static let mebibyte = 1 << 20

    @Test("1 MiB message both ways, the reply sent on the half-open connection")
    func oneMebibyteBothWays() async throws {
        try await withLoop { loop in
            let received = Locked<[UInt8]?>(nil)
            let (listener, address) = try await startListener(on: loop) { connection in
                var request: [UInt8] = []
                connection.startReading(
                    limits: ReadLimits(maxBytes: 2 * Self.mebibyte, deadline: .seconds(20)),
                    onData: { request.append(contentsOf: $0) },
                    onEnd: { end in
                        guard end == .endOfStream else { return }
                        received.update { $0 = request }
                        connection.write(transformed(request)) { _ in connection.close() }
                        connection.shutdownWrite()
                    })
            }
            let request = payload(sequence: 1, size: Self.mebibyte)
            let reply = try await TCPClient.request(
                on: loop, to: address, sending: request,
                responseLimits: ReadLimits(maxBytes: 2 * Self.mebibyte, deadline: .seconds(20)))
            #expect(received.value == request)
            #expect(reply.count == Self.mebibyte)
            #expect(reply == transformed(request))
            _ = try await loop.submit { listener.value.close() }
        }
    }

    @Test("a peer sending more than the cap is cut off, and the reason names the cap and the peer")
    func sizeCap() async throws {
        try await withLoop { loop in
            let cap = 64 * 1024
            let ends = Locked<[ReadEnd]>([])
            let delivered = Locked(0)
            let (_, address) = try await startListener(on: loop) { connection in
                connection.startReading(
                    limits: ReadLimits(maxBytes: cap),
                    onData: { bytes in delivered.update { $0 += bytes.count } },
                    onEnd: { end in ends.update { $0.append(end) } })
            }
            let client = Locked<SocketAddress?>(nil)
            let outcome = Locked<Result<[UInt8], RuntimeError>?>(nil)
            _ = try await loop.submit {
                _ = TCPConnection.connect(loop: loop, to: address, timeout: .seconds(5)) { result in
                    guard case .success(let connection) = result else { return }
                    client.update { $0 = connection.localAddress }
                    var reply: [UInt8] = []
                    connection.startReading(
                        limits: ReadLimits(maxBytes: 1024), onData: { reply.append(contentsOf: $0) },
                        onEnd: { end in
                            switch end {
                            case .endOfStream: outcome.update { $0 = .success(reply) }
                            case .failed(let error): outcome.update { $0 = .failure(error) }
                            }
                        })
                    connection.write(payload(sequence: 2, size: Self.mebibyte))
                }
            }
            #expect(await eventually { ends.value.count == 1 })
            let peer = try #require(client.value)
            #expect(ends.value == [.failed(.sizeCapExceeded(peer: peer, cap: cap))])
            #expect(delivered.value <= cap)
            #expect(RuntimeError.sizeCapExceeded(peer: peer, cap: cap).description.contains("\(cap)-byte cap"))
            // The sender sees its connection end (reset or closed) rather than hang.
            #expect(await eventually { outcome.value != nil })
        }
    }

    @Test("a peer that stalls past the read deadline is cut off; so is one idle too long")
    func stalledPeer() async throws {
        try await withLoop { loop in
            let deadlineEnds = Locked<[(ReadEnd, Duration)]>([])
            let (_, deadlineAddress) = try await startListener(on: loop) { connection in
                let start = loop.now
                connection.startReading(
                    limits: ReadLimits(maxBytes: 1 << 20, deadline: .milliseconds(150)), onData: { _ in },
                    onEnd: { end in deadlineEnds.update { $0.append((end, loop.now.duration(since: start))) } })
            }
            let idleEnds = Locked<[(ReadEnd, Duration)]>([])
            let (_, idleAddress) = try await startListener(on: loop) { connection in
                let start = loop.now
                connection.startReading(
                    limits: ReadLimits(maxBytes: 1 << 20, idleTimeout: .milliseconds(300)), onData: { _ in },
                    onEnd: { end in idleEnds.update { $0.append((end, loop.now.duration(since: start))) } })
            }
            // Both clients send a little and then go quiet without closing; the idle one first trickles a byte
            // every 20 ms for 300 ms, which must keep it alive.
            let clients = try await loop.submit { () -> LoopBound<[TCPConnection]> in
                let clients = LoopBound<[TCPConnection]>([], loop: loop)
                TCPConnection.connect(loop: loop, to: deadlineAddress, timeout: .seconds(5)) { result in
                    guard case .success(let connection) = result else { return }
                    clients.value.append(connection)
                    connection.write([1, 2, 3])
                }
                TCPConnection.connect(loop: loop, to: idleAddress, timeout: .seconds(5)) { result in
                    guard case .success(let connection) = result else { return }
                    clients.value.append(connection)
                    var trickles = 0
                    let timer = LoopTimer(loop: loop)
                    timer.schedule(after: .milliseconds(20), repeating: .milliseconds(20)) {
                        trickles += 1
                        if trickles > 15 { timer.close() } else { connection.write([9]) }
                    }
                }
                return clients
            }
            #expect(await eventually { deadlineEnds.value.count == 1 && idleEnds.value.count == 1 })
            let (deadlineEnd, deadlineElapsed) = deadlineEnds.value[0]
            guard case .failed(.readDeadlineExceeded(_, let limit)) = deadlineEnd else {
                Issue.record("expected the read deadline to cut the peer off, got \(deadlineEnd)")
                return
            }
            #expect(limit == .milliseconds(150))
            #expect(deadlineElapsed >= .milliseconds(150))
            #expect(deadlineElapsed < .seconds(3))
            let (idleEnd, idleElapsed) = idleEnds.value[0]
            guard case .failed(.idleTimeout(_, let after)) = idleEnd else {
                Issue.record("expected the idle timeout to cut the peer off, got \(idleEnd)")
                return
            }
            #expect(after == .milliseconds(300))
            #expect(idleElapsed >= .milliseconds(600))  // 300 ms of trickle, then 300 ms of silence
            _ = try await loop.submit { clients.value.forEach { $0.close() } }
        }
    }

    @Test("a reply that does not arrive within its deadline fails the request with that reason")
    func clientDeadline() async throws {
        try await withLoop { loop in
            let (_, address) = try await startListener(on: loop) { connection in
                connection.startReading(limits: ReadLimits(maxBytes: 1 << 20), onData: { _ in }, onEnd: { _ in })
            }
            let error = await #expect(throws: RuntimeError.self) {
                _ = try await TCPClient.request(
                    on: loop, to: address, sending: [1], responseLimits: ReadLimits(maxBytes: 100, deadline: .milliseconds(100)))
            }
            #expect(error == .readDeadlineExceeded(peer: address, deadline: .milliseconds(100)))
        }
    }

    @Test("connecting to a closed port fails with an error naming the address")
    func connectionRefused() async throws {
        try await withLoop { loop in
            // Bound and never listened on, and held: a closed listener's port could be taken by another test.
            let refusing = try HeldPort()
            let address = SocketAddress(ipv4: 127, 0, 0, 1, port: refusing.port)
            defer { withExtendedLifetime(refusing) {} }
            let error = await #expect(throws: RuntimeError.self) {
                _ = try await TCPClient.request(on: loop, to: address, sending: [1], responseLimits: ReadLimits(maxBytes: 10))
            }
            #expect(error == .connectionRefused(address))
            #expect(error?.description == "connection to \(address) refused: nothing listens there")
        }
    }

    @Test("listening on a port in use fails with an error naming the address")
    func portInUse() async throws {
        try await withLoop { loop in
            let (_, address) = try await startListener(on: loop) { $0.close() }
            let error = await #expect(throws: RuntimeError.self) {
                try await loop.submit { _ = try TCPListener(loop: loop, bindingTo: address) { $0.close() } }
            }
            #expect(error == .addressInUse(address))
            #expect(error?.description.hasPrefix("\(address) is already in use") == true)
        }
    }

    @Test("a connect that gets no answer times out with that reason")
    func connectTimeout() async throws {
        // A listening socket whose accept queue is full and never drained: the kernel drops further SYNs.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(fd >= 0)
        defer { Glibc.close(fd) }
        var sin = sockaddr_in()
        sin.sin_family = sa_family_t(AF_INET)
        sin.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &sin) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, length) } }
        try #require(bound == 0)
        try #require(listen(fd, 0) == 0)
        _ = withUnsafeMutablePointer(to: &sin) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        let address = SocketAddress(ipv4: 127, 0, 0, 1, port: UInt16(bigEndian: sin.sin_port))

        try await withLoop { loop in
            let results = Locked<[Result<SocketAddress?, RuntimeError>]>([])
            _ = try await loop.submit {
                for _ in 0..<4 {
                    TCPConnection.connect(loop: loop, to: address, timeout: .milliseconds(300)) { result in
                        results.update { $0.append(result.map(\.localAddress)) }
                    }
                }
            }
            #expect(await eventually { results.value.count == 4 })
            let timedOut = results.value.filter { $0 == .failure(.connectTimedOut(address, after: .milliseconds(300))) }
            #expect(timedOut.count >= 1)
            #expect(RuntimeError.connectTimedOut(address, after: .milliseconds(300)).description.contains("timed out"))
        }
    }

    @Test("writes a peer never reads are cut off once they stop progressing")
    func writeTimeout() async throws {
        try await withLoop { loop in
            let (_, address) = try await startListener(on: loop) { _ in }  // accepts, never reads
            let outcome = Locked<(write: RuntimeError?, closed: RuntimeError?)?>(nil)
            _ = try await loop.submit {
                _ = TCPConnection.connect(loop: loop, to: address, timeout: .seconds(5)) { result in
                    guard case .success(let connection) = result else { return }
                    connection.writeTimeout = .milliseconds(200)
                    var writeError: RuntimeError?
                    connection.onClose = { reason in outcome.update { $0 = (writeError, reason) } }
                    connection.write(Array(repeating: 1, count: 64 << 20)) { result in
                        if case .failure(let error) = result { writeError = error }
                    }
                }
            }
            #expect(await eventually { outcome.value != nil })
            let expected = RuntimeError.writeTimedOut(peer: address, after: .milliseconds(200))
            #expect(outcome.value?.closed == expected)
            #expect(outcome.value?.write == expected)
        }
    }

    @Test("the listener reports its OS-chosen port and accepted connections know their peer")
    func addresses() async throws {
        try await withLoop { loop in
            let peers = Locked<[SocketAddress?]>([])
            let (_, address) = try await startListener(on: loop) { connection in
                peers.update { $0.append(connection.remoteAddress) }
                connection.close()
            }
            #expect(address.port != 0)
            let local = Locked<SocketAddress?>(nil)
            _ = try await loop.submit {
                _ = TCPConnection.connect(loop: loop, to: address, timeout: .seconds(5)) { result in
                    if case .success(let connection) = result {
                        local.update { $0 = connection.localAddress }
                        #expect(connection.remoteAddress == address)
                    }
                }
            }
            #expect(await eventually { peers.value.count == 1 && local.value != nil })
            #expect(peers.value == [local.value])
        }
    }
}
