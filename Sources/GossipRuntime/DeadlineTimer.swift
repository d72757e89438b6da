import CLibUV
import ProtocolSupport

/// The timer a driver keeps per protocol core: armed at the core's `nextDeadline`, re-armed after every call.
///
/// The handler runs once the loop's clock (``EventLoop/now``) has reached the armed deadline, and is given that
/// time. Arming replaces the previous deadline; arming `nil` disarms.
public final class DeadlineTimer: LoopResource {
    public let loop: EventLoop
    private var handle: UnsafeMutablePointer<uv_timer_t>?
    private let handler: (Instant) -> Void
    /// The deadline the timer is armed for, if any.
    public private(set) var deadline: Instant?

    /// Creates a disarmed timer. On a loop that is shutting down the timer is inert.
    public init(loop: EventLoop, _ handler: @escaping (Instant) -> Void) {
        loop.assertInLoopThread()
        self.loop = loop
        self.handler = handler
        guard !loop.resources.isShuttingDown else { return }
        let handle = UnsafeMutablePointer<uv_timer_t>.allocate(capacity: 1)
        uv_timer_init(loop.uvLoop, handle)
        handle.pointee.data = Unmanaged.passUnretained(self).toOpaque()
        self.handle = handle
        loop.resources.register(self)
    }

    /// Arms the timer for `deadline` (a deadline already past fires on the next loop iteration), or disarms it.
    public func arm(at deadline: Instant?) {
        loop.assertInLoopThread()
        guard let handle else { return }
        self.deadline = deadline
        guard let deadline else {
            uv_timer_stop(handle)
            return
        }
        startUVTimer(handle, until: deadline)
    }

    private func startUVTimer(_ handle: UnsafeMutablePointer<uv_timer_t>, until deadline: Instant) {
        uv_timer_start(handle, deadlineTimerFired, timerTimeout(loop.uvLoop, untilNanos: deadline.nanoseconds), 0)
    }

    /// Disarms and releases the handle. Idempotent.
    public func close() { close(reason: nil) }

    func close(reason: RuntimeError?) {
        guard let handle else { return }
        self.handle = nil
        deadline = nil
        uv_close(asHandle(handle), notifyOwnerAndFreeOnClose)
    }

    func handleDidClose() { loop.resources.unregister(self) }

    fileprivate func fire() {
        guard let handle, let deadline else { return }
        let now = loop.now
        // libuv's clock has millisecond steps: if it woke us a fraction early, wait out the rest.
        guard now >= deadline else {
            startUVTimer(handle, until: deadline)
            return
        }
        self.deadline = nil
        handler(now)
    }
}

private func deadlineTimerFired(_ handle: UnsafeMutablePointer<uv_timer_t>?) {
    guard let handle, let timer = owner(of: asHandle(handle), as: DeadlineTimer.self) else { return }
    timer.fire()
}
