import Synchronization
import Testing

@testable import GossipRuntime

/// Waits for the first value `start` hands to its callback, or nil after `timeout`.
func firstHTTPCallback<Value: Sendable>(
    timeout: Duration = .seconds(5), _ start: (@escaping @Sendable (Value) -> Void) -> Void
) async -> Value? {
    let (stream, continuation) = AsyncStream.makeStream(of: Value.self)
    start { continuation.yield($0) }
    return await withTaskGroup(of: Value?.self) { group in
        group.addTask {
            var iterator = stream.makeAsyncIterator()
            return await iterator.next()
        }
        group.addTask {
            try? await Task.sleep(for: timeout)
            return nil
        }
        let first = await group.next() ?? nil
        group.cancelAll()
        continuation.finish()
        return first
    }
}

/// A value shared between a test and the closures it hands out (a Mutex cannot be captured by escaping
/// closures directly).
final class HTTPTestValue<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>
    init(_ value: Value) { mutex = Mutex(value) }
    var value: Value { mutex.withLock { $0 } }
    func set(_ value: Value) { mutex.withLock { $0 = value } }
    func update<Result>(_ body: (inout Value) -> Result) -> Result { mutex.withLock { body(&$0) } }
}
