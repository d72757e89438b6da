#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// State shared between threads, guarded by a pthread mutex.
///
/// A pthread mutex rather than Synchronization's `Mutex`: on Linux the latter locks with raw futex calls that
/// ThreadSanitizer does not see, so `make sanitize` would report every access it guards as a race. The
/// pthread calls are intercepted, so TSan checks our locking instead of flagging it.
final class LockedState<State>: @unchecked Sendable {
    // @unchecked Sendable: `state` is only touched inside `withLock`, under `mutex`.
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private var state: State

    init(_ state: State) {
        self.state = state
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deinitialize(count: 1)
        mutex.deallocate()
    }

    func withLock<R>(_ body: (inout State) throws -> R) rethrows -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&state)
    }
}
