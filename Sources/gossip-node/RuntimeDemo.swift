// The interim `make demo`: the runtime on loopback, printing what happens. UDP between two sockets, a TCP
// request/reply, a peer cut off at its size cap, timers firing in deadline order, clear errors, shutdown.
import GossipRuntime
import ProtocolSupport

private let localhost = SocketAddress(ipv4: 127, 0, 0, 1, port: 0)

func runRuntimeDemo() async {
    let loop: EventLoop
    do {
        loop = try EventLoop(name: "demo-loop")
    } catch {
        print("cannot start the event loop: \(error)")
        return
    }
    print("event loop started on its own thread")
    do {
        try await demoUDP(loop)
        try await demoTCP(loop)
        try await demoTimers(loop)
        await demoErrors(loop)
    } catch {
        print("demo failed: \(error)")
    }
    await loop.shutdown()
    await loop.shutdown()
    print("loop shut down: every handle closed, thread joined (a second shutdown did nothing)")
}

private func demoUDP(_ loop: EventLoop) async throws {
    print("\n== UDP: two sockets on loopback, OS-chosen ports")
    let alice = try await AsyncUDPSocket.bind(on: loop, to: localhost)
    let bob = try await AsyncUDPSocket.bind(on: loop, to: localhost)
    print("alice bound to \(alice.localAddress), bob bound to \(bob.localAddress)")
    let bobReplies = Task {
        var count = 0
        for await datagram in bob.datagrams {
            print("bob   <- \(datagram.source): \"\(String(decoding: datagram.bytes, as: UTF8.self))\"")
            try await bob.send(Array("pong \(count + 1)".utf8), to: datagram.source)
            count += 1
            if count == 3 { break }
        }
    }
    var aliceInbox = alice.datagrams.makeAsyncIterator()
    for round in 1...3 {
        try await alice.send(Array("ping \(round)".utf8), to: bob.localAddress)
        if let reply = await aliceInbox.next() {
            print("alice <- \(reply.source): \"\(String(decoding: reply.bytes, as: UTF8.self))\"")
        }
    }
    try await bobReplies.value
    await alice.close()
    await bob.close()
}

private func demoTCP(_ loop: EventLoop) async throws {
    print("\n== TCP: request/reply, then a peer over the size cap")
    // A server on the loop thread: reads the request to its end (16 KiB cap, 2 s deadline), replies in capitals.
    let server = try await loop.submit {
        let listener = try TCPListener(loop: loop, bindingTo: localhost) { connection in
            var request: [UInt8] = []
            connection.startReading(
                limits: ReadLimits(maxBytes: 16 * 1024, deadline: .seconds(2)),
                onData: { request.append(contentsOf: $0) },
                onEnd: { end in
                    switch end {
                    case .endOfStream:
                        let text = String(decoding: request, as: UTF8.self)
                        connection.write(Array(text.uppercased().utf8)) { _ in connection.close() }
                    case .failed(let reason):
                        print("server cut off \(connection.remoteAddress.map(\.description) ?? "a peer"): \(reason)")
                    }
                })
        }
        return (LoopBound(listener, loop: loop), listener.localAddress)
    }
    print("server listening on \(server.1)")
    let reply = try await TCPClient.request(
        on: loop, to: server.1, sending: Array("hello over tcp".utf8), responseLimits: ReadLimits(maxBytes: 1024, deadline: .seconds(2)))
    print("client <- \"\(String(decoding: reply, as: UTF8.self))\"")
    do {
        _ = try await TCPClient.request(
            on: loop, to: server.1, sending: Array(repeating: 0x61, count: 100 * 1024),
            responseLimits: ReadLimits(maxBytes: 1024, deadline: .seconds(2)))
    } catch {
        print("client sending 100 KiB: \(error)")
    }
    _ = try await loop.submit { server.0.value.close() }
}

private func demoTimers(_ loop: EventLoop) async throws {
    print("\n== Timers: scheduled out of order, fired in deadline order; a repeating one cancelled; a deadline timer")
    let done = try await loop.submit { () -> LoopBound<Bool> in
        let finished = LoopBound(false, loop: loop)
        let start = loop.now
        func elapsed() -> String { "\(loop.now.duration(since: start).formatted())" }
        for delay in [30, 10, 20] {
            let timer = LoopTimer(loop: loop)
            timer.schedule(after: .milliseconds(delay)) {
                print("one-shot timer for \(delay) ms fired at \(elapsed())")
                timer.close()
            }
        }
        var ticks = 0
        let repeating = LoopTimer(loop: loop)
        repeating.schedule(after: .milliseconds(5), repeating: .milliseconds(5)) {
            ticks += 1
            print("repeating timer tick \(ticks) at \(elapsed())")
            if ticks == 3 {
                repeating.close()
                print("repeating timer cancelled")
            }
        }
        let deadline = loop.now + .milliseconds(40)
        let deadlineTimer = DeadlineTimer(loop: loop) { now in
            print("deadline timer: armed for \(deadline), ran at \(now) (\(now.duration(since: deadline).formatted()) late)")
            finished.value = true
        }
        deadlineTimer.arm(at: deadline)
        return finished
    }
    for _ in 0..<200 where try await !loop.submit({ done.value }) {
        try await Task.sleep(for: .milliseconds(5))
    }
}

private func demoErrors(_ loop: EventLoop) async {
    print("\n== Errors say what was wrong")
    do {
        let taken = try await AsyncUDPSocket.bind(on: loop, to: localhost)
        do {
            _ = try await AsyncUDPSocket.bind(on: loop, to: taken.localAddress)
        } catch {
            print("binding \(taken.localAddress) again: \(error)")
        }
        let closedPort = taken.localAddress
        await taken.close()
        do {
            _ = try await TCPClient.request(on: loop, to: closedPort, sending: [1], responseLimits: ReadLimits(maxBytes: 10))
        } catch {
            print("connecting to \(closedPort): \(error)")
        }
    } catch {
        print("demo socket: \(error)")
    }
}

extension Duration {
    fileprivate func formatted() -> String {
        let milliseconds = Double(nanosecondsClamped) / 1_000_000
        return "\((milliseconds * 10).rounded() / 10) ms"
    }
}
