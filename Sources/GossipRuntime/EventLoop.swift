import CLibUV
import ProtocolSupport
import Synchronization  // Atomic

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One libuv event loop running on a thread of its own.
///
/// Any thread or task reaches the loop through ``execute(_:)`` and ``submit(_:)``: the work is appended to a
/// locked queue and the loop is woken with a `uv_async_t`; libuv coalesces wake-ups, so every wake-up drains
/// the whole queue. Neither call waits for the loop, and the loop never waits for a caller.
///
/// The loop-thread types (``UDPSocket``, ``TCPListener``, ``TCPConnection``, ``LoopTimer``,
/// ``DeadlineTimer``) are created and used only on the loop thread, inside work submitted here or inside their
/// own callbacks; ``LoopBound`` carries one across threads without letting anyone else touch it.
///
/// ``shutdown()`` closes every handle, runs the loop until they are closed, closes the loop and joins the
/// thread. It may be called any number of times. A loop must be shut down before it is released.
public final class EventLoop: @unchecked Sendable {
    // @unchecked Sendable: the state shared between threads (queue, phase, shutdown waiters, thread id) sits
    // in `shared`, behind a lock, or in the `loopThread` atomic. `uvLoop`, `wakeup`, `resources` and `spare` are
    // touched only on the loop thread (every loop-thread entry point checks `inLoopThread`), apart from their
    // set-up in `init` before the thread starts and the release of `uvLoop` in `deinit` after it has ended.

    /// A name for the loop, for diagnostics.
    public let name: String
    let uvLoop: UnsafeMutablePointer<uv_loop_t>
    private let wakeup: UnsafeMutablePointer<uv_async_t>
    private let shared: LockedState<SharedState>
    private let loopThread = Atomic<UInt>(0)
    /// Loop thread only: every open handle owner, kept alive until its close callback.
    let resources = ResourceRegistry()
    /// Loop thread only: the queue array swapped in on each drain, so draining reuses storage.
    private var spare: [@Sendable () -> Void] = []

    private enum Phase { case running, stopping, stopped }

    private struct SharedState {
        var phase: Phase = .running
        var queue: [@Sendable () -> Void] = []
        /// Set (under the lock) by the loop thread when it closes `wakeup`; nobody may signal it afterwards.
        var wakeupClosed = false
        var shutdownWaiters: [CheckedContinuation<Void, Never>] = []
        var thread: pthread_t?
        var joined = false
    }

    /// Starts a loop on a new thread.
    /// - Throws: ``RuntimeError/system(operation:address:code:name:message:)`` when libuv or the thread cannot start.
    public init(name: String = "gossip-loop") throws(RuntimeError) {
        // The loop is initialised before any stored property, so a failure here leaves no deinit to run.
        let uvLoop = UnsafeMutablePointer<uv_loop_t>.allocate(capacity: 1)
        let initStatus = uv_loop_init(uvLoop)
        guard initStatus == 0 else {
            uvLoop.deallocate()
            throw RuntimeError.from(code: initStatus, operation: "uv_loop_init", address: nil)
        }
        self.name = name
        self.uvLoop = uvLoop
        wakeup = .allocate(capacity: 1)
        shared = LockedState(SharedState())
        uv_async_init(uvLoop, wakeup, eventLoopWakeup)
        wakeup.pointee.data = Unmanaged.passUnretained(self).toOpaque()

        // The thread holds a reference until it ends, so the loop outlives its own thread.
        let context = Unmanaged.passRetained(self).toOpaque()
        var thread = pthread_t()
        let status = pthread_create(&thread, nil, eventLoopThreadMain, context)
        guard status == 0 else {
            Unmanaged<EventLoop>.fromOpaque(context).release()
            shared.withLock { $0.phase = .stopped; $0.joined = true }
            uv_close(asHandle(wakeup), freeHandleOnClose)
            uv_run(uvLoop, UV_RUN_DEFAULT)
            uv_loop_close(uvLoop)
            throw RuntimeError.system(
                operation: "pthread_create", address: nil, code: status, name: "errno", message: "cannot start the loop thread")
        }
        shared.withLock { $0.thread = thread }
    }

    deinit {
        // Reached only after the thread has ended (it holds a reference while it runs), possibly on that very
        // thread as it lets go of its reference: then it cannot join itself and detaches instead.
        let (thread, joined) = shared.withLock { ($0.thread, $0.joined) }
        if let thread, !joined {
            if pthread_equal(thread, pthread_self()) != 0 { pthread_detach(thread) } else { pthread_join(thread, nil) }
        }
        uvLoop.deallocate()
    }

    /// True on the loop's own thread.
    public var inLoopThread: Bool {
        let id = loopThread.load(ordering: .acquiring)
        return id != 0 && pthread_equal(pthread_t(id), pthread_self()) != 0
    }

    /// False once a shutdown has been requested: ``execute(_:)`` and ``submit(_:)`` then refuse work.
    /// Readable from any thread.
    public var acceptsWork: Bool { shared.withLock { $0.phase == .running } }

    /// The loop's monotonic time (`uv_hrtime`, nanoseconds), the timeline every timer of this runtime uses.
    /// Readable from any thread.
    public var now: Instant { Instant(nanoseconds: uv_hrtime()) }

    /// Runs `work` on the loop thread soon, in submission order. Returns at once.
    /// - Returns: false when the loop is shutting down or shut down; `work` is then dropped.
    @discardableResult
    public func execute(_ work: @escaping @Sendable () -> Void) -> Bool {
        shared.withLock { state in
            guard state.phase == .running else { return false }
            state.queue.append(work)
            // Signalled under the lock: the loop thread closes `wakeup` under the same lock.
            if state.queue.count == 1 { uv_async_send(wakeup) }
            return true
        }
    }

    /// Runs `work` on the loop thread and returns its result.
    /// - Throws: ``RuntimeError/loopShutDown`` when the loop no longer accepts work, or whatever `work` throws.
    public func submit<Result: Sendable>(_ work: @escaping @Sendable () throws -> Result) async throws -> Result {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Result, any Error>) in
            let accepted = execute {
                do { continuation.resume(returning: try work()) } catch { continuation.resume(throwing: error) }
            }
            if !accepted { continuation.resume(throwing: RuntimeError.loopShutDown) }
        }
    }

    /// Closes every handle, runs the loop until they are all closed, closes the loop and ends its thread.
    /// Pending sends, writes and connects complete with ``RuntimeError/loopShutDown``. Safe to call again and
    /// from several tasks: every call returns once the loop has stopped. Called on the loop thread itself, it
    /// starts the shutdown and returns without waiting (a thread cannot wait for itself).
    public func shutdown() async {
        if inLoopThread {
            requestStop()
            return
        }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let stopped = shared.withLock { state -> Bool in
                switch state.phase {
                case .stopped:
                    return true
                case .running:
                    state.phase = .stopping
                    if !state.wakeupClosed { uv_async_send(wakeup) }
                    fallthrough
                case .stopping:
                    state.shutdownWaiters.append(continuation)
                    return false
                }
            }
            if stopped { continuation.resume() }
        }
        joinThread()
    }

    /// The blocking form of ``shutdown()``, for code outside any async context (a `main` about to return,
    /// a benchmark). Must not be called on the loop thread.
    public func syncShutdown() {
        precondition(!inLoopThread, "syncShutdown() on the loop thread would wait for itself; use shutdown()")
        requestStop()
        joinThread()
    }

    private func requestStop() {
        shared.withLock { state in
            guard state.phase == .running else { return }
            state.phase = .stopping
            if !state.wakeupClosed { uv_async_send(wakeup) }
        }
    }

    private func joinThread() {
        let thread = shared.withLock { state -> pthread_t? in
            guard !state.joined, let thread = state.thread else { return nil }
            state.joined = true
            return thread
        }
        if let thread { pthread_join(thread, nil) }
    }

    // MARK: loop thread

    fileprivate func runThread() {
        loopThread.store(UInt(pthread_self()), ordering: .releasing)
        // Returns once shutdown has closed every handle (the wake-up handle keeps it running until then).
        uv_run(uvLoop, UV_RUN_DEFAULT)
        // Anything still open (a handle created outside this runtime) is closed; bounded, never a hang.
        var attempts = 0
        while uv_loop_close(uvLoop) == UV_EBUSY.rawValue, attempts < 100 {
            uv_walk(uvLoop, closeForeignHandle, nil)
            uv_run(uvLoop, UV_RUN_DEFAULT)
            attempts += 1
        }
        let waiters = shared.withLock { state in
            state.phase = .stopped
            defer { state.shutdownWaiters = [] }
            return state.shutdownWaiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Runs everything queued; on shutdown, closes every handle and the wake-up handle itself.
    fileprivate func drain() {
        shared.withLock { swap(&$0.queue, &spare) }
        for work in spare { work() }
        spare.removeAll(keepingCapacity: true)

        let stopping = shared.withLock { $0.phase != .running }
        guard stopping, !resources.isShuttingDown else { return }
        // No work is accepted once the phase has left `.running`: this drain takes the last of it.
        shared.withLock { swap(&$0.queue, &spare) }
        for work in spare { work() }
        spare = []
        resources.closeAll()
        shared.withLock { state in
            state.wakeupClosed = true
            uv_close(asHandle(wakeup), freeHandleOnClose)
        }
        uv_walk(uvLoop, closeForeignHandle, nil)
    }

    /// Fails unless called on the loop thread: loop-thread types are not thread-safe, and libuv is not either.
    @inline(__always)
    func assertInLoopThread(_ function: StaticString = #function) {
        precondition(inLoopThread, "\(function) must run on the event loop thread: use loop.execute or loop.submit")
    }
}

private func eventLoopThreadMain(_ context: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    guard let context else { return nil }
    let loop = Unmanaged<EventLoop>.fromOpaque(context).takeRetainedValue()
    nameCurrentThread(loop.name)
    loop.runThread()
    return nil
}

/// Names the calling thread after its loop, for `top -H` and `ps -L`; Linux keeps the first 15 bytes.
/// Through /proc, since Glibc's pthread_setname_np is not visible to Swift; a failure only loses the name.
private func nameCurrentThread(_ name: String) {
    let fd = open("/proc/thread-self/comm", O_WRONLY)
    guard fd >= 0 else { return }
    let bytes = Array(name.utf8.prefix(15))
    _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    close(fd)
}

private func eventLoopWakeup(_ handle: UnsafeMutablePointer<uv_async_t>?) {
    guard let data = handle?.pointee.data else { return }
    Unmanaged<EventLoop>.fromOpaque(data).takeUnretainedValue().drain()
}

/// Walk callback at shutdown: closes what is still open and not already closing, without freeing memory that
/// is not ours (every handle of this runtime is closed, and freed, by its owner before the walk).
private func closeForeignHandle(_ handle: UnsafeMutablePointer<uv_handle_t>?, _: UnsafeMutableRawPointer?) {
    guard let handle, uv_is_closing(handle) == 0 else { return }
    uv_close(handle, nil)
}

/// The open handle owners of one loop. Loop thread only.
final class ResourceRegistry {
    private var open: [ObjectIdentifier: any LoopResource] = [:]
    /// Once true, no new handle may be opened on this loop.
    private(set) var isShuttingDown = false

    func register(_ resource: any LoopResource) { open[ObjectIdentifier(resource)] = resource }
    func unregister(_ resource: any LoopResource) { open[ObjectIdentifier(resource)] = nil }
    var count: Int { open.count }

    func closeAll() {
        isShuttingDown = true
        // Closing may run owners' callbacks, which may close other resources: iterate over a snapshot.
        for resource in Array(open.values) { resource.close(reason: .loopShutDown) }
    }
}
