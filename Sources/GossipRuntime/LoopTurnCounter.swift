import CLibUV

/// Counts the event loop's turns: a uv_check handle, run once per iteration after the poll phase.
///
/// For decisions that must give a new socket one chance to be read first. A connection accepted during
/// turn N has been polled for reading once turn N+1 has ended: the admin server does not evict a connection
/// accepted in a flood before the loop has read the request it may already carry (a time grace cannot
/// promise that on a loop slowed by the flood itself). libuv 1.44 has no public iteration count.
final class LoopTurnCounter: LoopResource {
    let loop: EventLoop
    /// Turns completed since the counter started.
    private(set) var turns: UInt64 = 0
    private var handle: UnsafeMutablePointer<uv_check_t>?

    /// Starts counting; on a loop that is shutting down the counter stays at 0.
    init(loop: EventLoop) {
        loop.assertInLoopThread()
        self.loop = loop
        guard !loop.resources.isShuttingDown else { return }
        let handle = UnsafeMutablePointer<uv_check_t>.allocate(capacity: 1)
        uv_check_init(loop.uvLoop, handle)
        handle.pointee.data = Unmanaged.passUnretained(self).toOpaque()
        uv_check_start(handle, loopTurnEnded)
        // Counting must not keep the loop alive on its own.
        uv_unref(asHandle(handle))
        self.handle = handle
        loop.resources.register(self)
    }

    /// Stops counting and releases the handle. Idempotent.
    func close() { close(reason: nil) }

    func close(reason: RuntimeError?) {
        guard let handle else { return }
        self.handle = nil
        uv_close(asHandle(handle), notifyOwnerAndFreeOnClose)
    }

    func handleDidClose() { loop.resources.unregister(self) }

    fileprivate func turnEnded() { turns &+= 1 }
}

private func loopTurnEnded(_ handle: UnsafeMutablePointer<uv_check_t>?) {
    guard let handle, let counter = owner(of: asHandle(handle), as: LoopTurnCounter.self) else { return }
    counter.turnEnded()
}
