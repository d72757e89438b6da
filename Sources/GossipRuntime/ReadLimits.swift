/// The bounds a TCP read is held to. A peer that breaks one is cut off, and the reason is reported.
public struct ReadLimits: Sendable, Equatable {
    /// The most bytes accepted from the moment the limits are applied; one byte more cuts the peer off.
    public var maxBytes: Int
    /// If given, the reading must be over (ended by the peer, or stopped or renewed by the owner) within this
    /// time from the moment the limits are applied.
    public var deadline: Duration?
    /// If given, the longest the peer may send nothing while the connection is being read.
    public var idleTimeout: Duration?

    public init(maxBytes: Int, deadline: Duration? = nil, idleTimeout: Duration? = nil) {
        self.maxBytes = maxBytes
        self.deadline = deadline
        self.idleTimeout = idleTimeout
    }
}

/// How the reading of a TCP connection ended.
public enum ReadEnd: Sendable, Equatable {
    /// The peer closed its sending side (EOF). The connection stays open for writing until closed.
    case endOfStream
    /// The connection failed or was cut off, and is closed: ``RuntimeError/sizeCapExceeded(peer:cap:)``,
    /// ``RuntimeError/readDeadlineExceeded(peer:deadline:)``, ``RuntimeError/idleTimeout(peer:after:)``,
    /// ``RuntimeError/writeTimedOut(peer:after:)``, ``RuntimeError/connectionReset(_:)``,
    /// ``RuntimeError/loopShutDown``...
    case failed(RuntimeError)
}
