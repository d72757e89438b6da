import GossipRuntime
import ProtocolSupport
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Runs `body` with a fresh loop and shuts the loop down afterwards, even when `body` throws.
@discardableResult
func withLoop<R: Sendable>(_ body: (EventLoop) async throws -> R) async throws -> R {
    let loop = try EventLoop(name: "test-loop")
    do {
        let result = try await body(loop)
        await loop.shutdown()
        return result
    } catch {
        await loop.shutdown()
        throw error
    }
}

/// Polls `condition` every 5 ms until it holds or `timeout` passes; returns whether it held.
func eventually(timeout: Duration = .seconds(10), _ condition: () async throws -> Bool) async rethrows -> Bool {
    let clock = ContinuousClock()
    let end = clock.now + timeout
    while clock.now < end {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(5))
    }
    return try await condition()
}

let loopback = SocketAddress(ipv4: 127, 0, 0, 1, port: 0)
let loopback6 = SocketAddress(ip: Array(repeating: 0, count: 15) + [1], port: 0)!

/// A value shared between the loop thread and a test, behind a lock; for results only, never for coordination
/// the runtime should be doing.
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>
    init(_ value: Value) { mutex = Mutex(value) }
    var value: Value { mutex.withLock { $0 } }
    func update<R>(_ body: (inout Value) -> R) -> R { mutex.withLock { body(&$0) } }
}

/// Deterministic payload bytes for sequence number `sequence`, so the receiver can check each one.
func payload(sequence: Int, size: Int) -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: size)
    var state = UInt32(truncatingIfNeeded: sequence) &* 2_654_435_761 &+ 1
    for index in bytes.indices {
        state ^= state << 13
        state ^= state >> 17
        state ^= state << 5
        bytes[index] = UInt8(truncatingIfNeeded: state)
    }
    if size >= 4 {
        withUnsafeBytes(of: UInt32(sequence).bigEndian) { header in
            for index in 0..<4 { bytes[index] = header[index] }
        }
    }
    return bytes
}

/// The sequence number at the start of a payload.
func sequence(of bytes: UnsafeRawBufferPointer) -> Int? {
    guard bytes.count >= 4 else { return nil }
    return Int(UInt32(bytes[0]) << 24 | UInt32(bytes[1]) << 16 | UInt32(bytes[2]) << 8 | UInt32(bytes[3]))
}

/// Starts a listener on 127.0.0.1 with an OS-chosen port; `onAccept` runs on the loop thread.
func startListener(
    on loop: EventLoop, _ onAccept: @escaping @Sendable (TCPConnection) -> Void
) async throws -> (listener: LoopBound<TCPListener>, address: SocketAddress) {
    try await loop.submit {
        let listener = try TCPListener(loop: loop, bindingTo: loopback) { onAccept($0) }
        return (LoopBound(listener, loop: loop), listener.localAddress)
    }
}

/// The reply the test servers give to a request: every byte flipped, so an echo cannot pass for it.
func transformed(_ bytes: [UInt8]) -> [UInt8] { bytes.map { ~$0 } }
