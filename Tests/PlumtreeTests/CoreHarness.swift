import Plumtree
import ProtocolSupport
import MetricsTestSupport

/// One core driven by hand: what it sends to whom, decoded, and what it delivers.
struct CoreHarness {
    var core: PlumtreeCore
    var now = Instant(nanoseconds: 5_000_000_000)
    var output: [PlumtreeOutput] = []
    let metrics = RecordingMetrics()

    init(config: PlumtreeConfig = PlumtreeConfig(), peers: [String] = [], name: String = "me") {
        core = PlumtreeCore(config: config, localID: name, seed: 1, metrics: metrics, now: now)
        for peer in peers { core.memberUp(peer, advertisesPlumtree: true, now: now, into: &output) }
        // The Neighbor announcements go out on the driver's next timer call.
        if let deadline = core.nextDeadline, deadline <= now { core.handleTimeout(now: now, into: &output) }
        output.removeAll()
    }

    /// Sent messages since the last drain, decoded: (to, message, preferReliable).
    mutating func drainSends() -> [(to: String, message: PlumtreeMessage)] {
        var sends: [(String, PlumtreeMessage)] = []
        for item in output {
            if case .send(let to, let bytes, _) = item, let envelope = try? PlumtreeEnvelope(decoding: bytes),
               let message = try? PlumtreeMessage(decoding: envelope.message) {
                sends.append((to, message))
            }
        }
        output.removeAll { if case .send = $0 { return true } else { return false } }
        return sends
    }

    mutating func drainDeliveries() -> [DeliveredMessage] {
        let delivered = output.compactMap { item -> DeliveredMessage? in
            if case .deliver(let message) = item { return message }
            return nil
        }
        output.removeAll { if case .deliver = $0 { return true } else { return false } }
        return delivered
    }

    @discardableResult
    mutating func receive(_ message: PlumtreeMessage, from peer: String) -> PlumtreeDecodeError? {
        let bytes = PlumtreeEnvelope(sender: peer, message: message.encoded()[...]).encoded()!
        let first = output.count
        core.receive(envelope: bytes, now: now, into: &output)
        guard let index = output[first...].firstIndex(where: { if case .refused = $0 { true } else { false } }),
              case .refused(let error) = output.remove(at: index) else { return nil }
        return error
    }

    /// Advances time, firing timers as the driver would.
    mutating func advance(_ duration: Duration) {
        let target = now + duration
        var guardCount = 0
        while let deadline = core.nextDeadline, deadline <= target, guardCount < 10_000 {
            now = max(now, deadline)
            core.handleTimeout(now: now, into: &output)
            guardCount += 1
        }
        now = target
    }
}
