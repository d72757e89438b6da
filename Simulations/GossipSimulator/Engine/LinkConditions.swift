import ProtocolSupport

/// How a one-way network path treats datagrams: latency distribution, loss, duplication, reordering.
///
/// The network has no bandwidth limit: a datagram's delay does not depend on its size or on other traffic.
/// Streams (TCP) see the latency, and the loss as TCP does: each segment the link drops is retransmitted after
/// TCP's timeout (1 s for the handshake, 200 ms and up for data), so a stream is late, never lost or
/// duplicated; streams fail only across a partition or when the far node is down.
public struct LinkConditions: Sendable, Equatable {
    /// The fixed one-way delay.
    public var latency: Duration
    /// A uniformly drawn extra delay in `0...jitter` added to every datagram.
    public var jitter: Duration
    /// Probability in 0...1 that a datagram is lost.
    public var loss: Double
    /// Probability in 0...1 that a datagram is delivered twice (the copy with its own delay).
    public var duplication: Double
    /// Probability in 0...1 that a datagram is held back by `reorderDelay`, so later datagrams overtake it.
    public var reordering: Double
    /// The extra delay of a held-back datagram.
    public var reorderDelay: Duration
    /// Datagrams larger than this are dropped (a path MTU black hole); nil: no limit.
    public var maxDatagramBytes: Int? = nil

    public init(
        latency: Duration = .milliseconds(1),
        jitter: Duration = .microseconds(500),
        loss: Double = 0,
        duplication: Double = 0,
        reordering: Double = 0,
        reorderDelay: Duration = .milliseconds(20)
    ) {
        self.latency = latency
        self.jitter = jitter
        self.loss = loss
        self.duplication = duplication
        self.reordering = reordering
        self.reorderDelay = reorderDelay
    }

    /// A data-centre LAN: 1 ms plus up to 0.5 ms of jitter, nothing lost.
    public static let lan = LinkConditions()

    /// A wide-area path: 40 ms plus up to 20 ms of jitter, 0.1 % loss, some reordering.
    public static let wan = LinkConditions(
        latency: .milliseconds(40), jitter: .milliseconds(20), loss: 0.001, reordering: 0.01, reorderDelay: .milliseconds(30))

    /// These conditions with `loss` replaced.
    public func with(loss: Double) -> LinkConditions {
        var copy = self
        copy.loss = loss
        return copy
    }
}
