import CLibUV

/// A one-shot or repeating timer on the loop thread; cancellable and re-schedulable.
///
/// Timers have millisecond resolution (libuv's); a delay is rounded up, so a timer never fires early. Timers
/// due at the same loop iteration fire in the order of their deadlines. ``close()`` releases the handle; the
/// loop closes any timer still open when it shuts down.
public final class LoopTimer: LoopResource {
    public let loop: EventLoop
    private var handle: UnsafeMutablePointer<uv_timer_t>?
    private var handler: (() -> Void)?
    private var repeating = false

    /// Creates an idle timer. On a loop that is shutting down the timer is inert: scheduling does nothing.
    public init(loop: EventLoop) {
        loop.assertInLoopThread()
        self.loop = loop
        guard !loop.resources.isShuttingDown else { return }
        let handle = UnsafeMutablePointer<uv_timer_t>.allocate(capacity: 1)
        uv_timer_init(loop.uvLoop, handle)
        handle.pointee.data = Unmanaged.passUnretained(self).toOpaque()
        self.handle = handle
        loop.resources.register(self)
    }

    /// Creates a timer and schedules it: `handler` runs after `delay`, then every `interval` if one is given.
    public convenience init(loop: EventLoop, after delay: Duration, repeating interval: Duration? = nil, _ handler: @escaping () -> Void) {
        self.init(loop: loop)
        schedule(after: delay, repeating: interval, handler)
    }

    /// (Re)schedules the timer, replacing any earlier schedule and handler.
    /// - Parameters:
    ///   - delay: time from now until the first firing (rounded up to whole milliseconds).
    ///   - interval: if given, the timer fires again every `interval` (at least 1 ms) until cancelled.
    public func schedule(after delay: Duration, repeating interval: Duration? = nil, _ handler: @escaping () -> Void) {
        loop.assertInLoopThread()
        guard let handle else { return }
        self.handler = handler
        repeating = interval != nil
        let repeatMilliseconds = interval.map { max(1, timerMilliseconds($0)) } ?? 0
        uv_timer_start(handle, loopTimerFired, timerTimeout(loop.uvLoop, after: delay), repeatMilliseconds)
    }

    /// Stops the timer; it will not fire until scheduled again.
    public func cancel() {
        loop.assertInLoopThread()
        guard let handle else { return }
        uv_timer_stop(handle)
        handler = nil
    }

    /// True while the timer is scheduled to fire.
    public var isScheduled: Bool {
        guard let handle else { return false }
        return uv_is_active(asHandle(handle)) != 0
    }

    /// Stops the timer and releases its handle. Idempotent.
    public func close() { close(reason: nil) }

    func close(reason: RuntimeError?) {
        guard let handle else { return }
        self.handle = nil
        handler = nil
        uv_close(asHandle(handle), notifyOwnerAndFreeOnClose)
    }

    func handleDidClose() { loop.resources.unregister(self) }

    fileprivate func fire() {
        guard let handler else { return }
        // A one-shot timer forgets its handler before running it, so the handler may re-schedule the timer.
        if !repeating { self.handler = nil }
        handler()
    }
}

private func loopTimerFired(_ handle: UnsafeMutablePointer<uv_timer_t>?) {
    guard let handle, let timer = owner(of: asHandle(handle), as: LoopTimer.self) else { return }
    timer.fire()
}
