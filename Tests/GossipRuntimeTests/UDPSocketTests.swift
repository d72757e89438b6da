import GossipRuntime
import ProtocolSupport
import Testing

@Suite("UDP sockets on loopback")
struct UDPSocketTests {
    /// What the receiving side saw, kept on the loop thread.
    final class Receipts {
        var count = 0
        var corrupt = 0
        var wrongSource = 0
        var seen: [Bool]
        init(expected: Int) { seen = Array(repeating: false, count: expected) }
    }

    @Test("10,000 datagrams between two sockets: none lost, payloads intact, sources right")
    func tenThousandDatagrams() async throws {
        try await withLoop { loop in
            let total = 10_000
            let window = 256  // datagrams in flight at most, so the receiver's kernel buffer never overflows
            let done = Locked<(count: Int, corrupt: Int, wrongSource: Int, duplicates: Int, missing: Int)?>(nil)
            _ = try await loop.submit {
                let receiver = try UDPSocket(loop: loop, bindingTo: loopback, receiveBufferSize: 4 << 20)
                let sender = try UDPSocket(loop: loop, bindingTo: loopback)
                let receipts = Receipts(expected: total)
                var nextToSend = 0
                var duplicates = 0
                func sendWindow() {
                    while nextToSend < total, nextToSend - receipts.count < window {
                        // Sizes from 4 to 1,400 bytes, every payload different.
                        sender.send(payload(sequence: nextToSend, size: 4 + (nextToSend * 37) % 1_397), to: receiver.localAddress)
                        nextToSend += 1
                    }
                }
                try receiver.startReceiving { bytes, source in
                    receipts.count += 1
                    if source != sender.localAddress { receipts.wrongSource += 1 }
                    if let sequence = sequence(of: bytes), sequence < total,
                        bytes.elementsEqual(payload(sequence: sequence, size: 4 + (sequence * 37) % 1_397))
                    {
                        if receipts.seen[sequence] { duplicates += 1 }
                        receipts.seen[sequence] = true
                    } else {
                        receipts.corrupt += 1
                    }
                    if receipts.count == total {
                        done.update {
                            $0 = (receipts.count, receipts.corrupt, receipts.wrongSource, duplicates, receipts.seen.filter { !$0 }.count)
                        }
                        receiver.close()
                        sender.close()
                    } else {
                        sendWindow()
                    }
                }
                sendWindow()
                return 0
            }
            #expect(await eventually(timeout: .seconds(30)) { done.value != nil })
            let result = try #require(done.value)
            #expect(result.count == total)
            #expect(result.corrupt == 0)
            #expect(result.wrongSource == 0)
            #expect(result.duplicates == 0)
            #expect(result.missing == 0)
        }
    }

    @Test("binding to port 0 gets an OS-chosen port, reported as the local address")
    func osChosenPort() async throws {
        try await withLoop { loop in
            let (first, second) = try await loop.submit {
                let first = try UDPSocket(loop: loop, bindingTo: loopback)
                let second = try UDPSocket(loop: loop, bindingTo: loopback)
                defer { first.close(); second.close() }
                return (first.localAddress, second.localAddress)
            }
            #expect(first.port != 0)
            #expect(second.port != 0)
            #expect(first != second)
            #expect(first.host == "127.0.0.1")
        }
    }

    @Test("binding a port in use fails with an error that names the address")
    func portInUse() async throws {
        try await withLoop { loop in
            let taken = try await AsyncUDPSocket.bind(on: loop, to: loopback)
            let error = await #expect(throws: RuntimeError.self) {
                _ = try await AsyncUDPSocket.bind(on: loop, to: taken.localAddress)
            }
            #expect(error == .addressInUse(taken.localAddress))
            #expect(error?.description.hasPrefix("127.0.0.1:\(taken.localAddress.port) is already in use") == true)
            await taken.close()
        }
    }

    @Test("IPv6: bind ::1, send, receive with the right source")
    func ipv6() async throws {
        try await withLoop { loop in
            let receiver = try await AsyncUDPSocket.bind(on: loop, to: loopback6)
            let sender = try await AsyncUDPSocket.bind(on: loop, to: loopback6)
            #expect(receiver.localAddress.isIPv6)
            try await sender.send([1, 2, 3], to: receiver.localAddress)
            var iterator = receiver.datagrams.makeAsyncIterator()
            let datagram = try #require(await iterator.next())
            #expect(datagram == Datagram(bytes: [1, 2, 3], source: sender.localAddress))
            #expect(datagram.source.description.hasPrefix("[::1]:"))
            await receiver.close()
            await sender.close()
        }
    }

    @Test("async echo: a datagram goes out and comes back; empty datagrams arrive too")
    func asyncEcho() async throws {
        try await withLoop { loop in
            let echo = try await AsyncUDPSocket.bind(on: loop, to: loopback)
            let client = try await AsyncUDPSocket.bind(on: loop, to: loopback)
            let echoing = Task {
                for await datagram in echo.datagrams { try await echo.send(datagram.bytes, to: datagram.source) }
            }
            var replies = client.datagrams.makeAsyncIterator()
            for message in [[UInt8]("hello".utf8), [], Array(repeating: 7, count: 60_000)] {
                try await client.send(message, to: echo.localAddress)
                let reply = try #require(await replies.next())
                #expect(reply == Datagram(bytes: message, source: echo.localAddress))
            }
            await echo.close()
            try await echoing.value  // the stream finished when the socket closed
            await client.close()
        }
    }

    @Test("a datagram larger than UDP allows is refused with an error that says so")
    func oversizedDatagram() async throws {
        try await withLoop { loop in
            let socket = try await AsyncUDPSocket.bind(on: loop, to: loopback)
            let error = await #expect(throws: RuntimeError.self) {
                try await socket.send(Array(repeating: 0, count: 70_000), to: socket.localAddress)
            }
            #expect(error?.description.contains("too large") == true)
            await socket.close()
        }
    }

    @Test("sending on a closed socket fails with .closed, counted")
    func closedSocket() async throws {
        try await withLoop { loop in
            let socket = try await AsyncUDPSocket.bind(on: loop, to: loopback)
            await socket.close()
            await #expect(throws: RuntimeError.self) { try await socket.send([1], to: socket.localAddress) }
        }
    }
}
