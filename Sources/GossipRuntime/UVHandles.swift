import CLibUV

// Helpers shared by every handle owner: libuv handles live on the heap (they must never move), are reached
// from C callbacks through `handle->data`, and are freed only in their close callbacks.

/// The generic `uv_handle_t` view of a specific handle type.
@inline(__always)
func asHandle<T>(_ pointer: UnsafeMutablePointer<T>) -> UnsafeMutablePointer<uv_handle_t> {
    UnsafeMutableRawPointer(pointer).assumingMemoryBound(to: uv_handle_t.self)
}

/// The generic `uv_stream_t` view of a TCP handle.
@inline(__always)
func asStream(_ pointer: UnsafeMutablePointer<uv_tcp_t>) -> UnsafeMutablePointer<uv_stream_t> {
    UnsafeMutableRawPointer(pointer).assumingMemoryBound(to: uv_stream_t.self)
}

/// The owner stored in `handle->data`, without changing its retain count.
@inline(__always)
func owner<Owner: AnyObject>(of handle: UnsafeMutablePointer<uv_handle_t>?, as _: Owner.Type) -> Owner? {
    guard let data = handle?.pointee.data else { return nil }
    return Unmanaged<Owner>.fromOpaque(data).takeUnretainedValue()
}

/// Close callback for handles whose owner needs no notice: frees the handle's memory.
func freeHandleOnClose(_ handle: UnsafeMutablePointer<uv_handle_t>?) {
    UnsafeMutableRawPointer(handle)?.deallocate()
}

/// Close callback for handles that carry an owner in `data`: tells the owner, then frees the memory.
func notifyOwnerAndFreeOnClose(_ handle: UnsafeMutablePointer<uv_handle_t>?) {
    guard let handle else { return }
    if let data = handle.pointee.data {
        let resource = Unmanaged<AnyObject>.fromOpaque(data).takeUnretainedValue()
        (resource as? any LoopResource)?.handleDidClose()
    }
    UnsafeMutableRawPointer(handle).deallocate()
}

/// A Swift object that owns libuv handles on the loop thread. The loop keeps it alive from registration until
/// its main handle's close callback, and closes it when the loop shuts down.
protocol LoopResource: AnyObject {
    /// Closes every handle the resource owns; `reason` is reported to the resource's owner where it has one.
    func close(reason: RuntimeError?)
    /// Called from the main handle's close callback: the last moment the resource touches libuv.
    func handleDidClose()
}

/// The timeout to give `uv_timer_start` so the timer fires no earlier than `deadlineNanos` on the uv_hrtime
/// timeline. libuv compares timeouts with its cached loop time, whole milliseconds that lag uv_hrtime by up
/// to one millisecond; measuring from that cached time (just refreshed), and rounding up, never fires early.
func timerTimeout(_ loop: UnsafeMutablePointer<uv_loop_t>, untilNanos deadlineNanos: UInt64) -> UInt64 {
    uv_update_time(loop)
    let loopTimeNanos = uv_now(loop) &* 1_000_000
    guard deadlineNanos > loopTimeNanos else { return 0 }
    let delta = deadlineNanos - loopTimeNanos
    return delta / 1_000_000 + (delta % 1_000_000 == 0 ? 0 : 1)
}

/// The same for a deadline `duration` from now.
func timerTimeout(_ loop: UnsafeMutablePointer<uv_loop_t>, after duration: Duration) -> UInt64 {
    let (deadline, overflow) = uv_hrtime().addingReportingOverflow(UInt64(max(0, duration.nanosecondsClamped)))
    return timerTimeout(loop, untilNanos: overflow ? .max : deadline)
}

/// Whole milliseconds, rounded up (for repeat intervals).
func timerMilliseconds(_ duration: Duration) -> UInt64 {
    let nanos = UInt64(max(0, duration.nanosecondsClamped))
    return nanos / 1_000_000 + (nanos % 1_000_000 == 0 ? 0 : 1)
}
