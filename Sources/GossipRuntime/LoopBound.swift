/// Carries a loop-thread value (a socket, a timer, a protocol core) across threads and tasks, while letting
/// only the loop thread touch it.
///
/// Create it on the loop thread and return it from ``EventLoop/submit(_:)``; later work on the same loop
/// reaches the value through ``value``. Any other thread that reads ``value`` stops with a precondition
/// failure, so a mistake shows at once instead of as a data race.
public final class LoopBound<Value>: @unchecked Sendable {
    // @unchecked Sendable: `_value` is read and written only on `loop`'s thread, enforced at every access.
    public let loop: EventLoop
    private var _value: Value

    /// Wraps `value`; must be called on the loop thread.
    public init(_ value: Value, loop: EventLoop) {
        loop.assertInLoopThread()
        self.loop = loop
        self._value = value
    }

    /// The value; loop thread only.
    public var value: Value {
        get {
            loop.assertInLoopThread()
            return _value
        }
        set {
            loop.assertInLoopThread()
            _value = newValue
        }
    }
}
