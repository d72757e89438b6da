import ProtocolSupport

/// The figures of one run: how well broadcasts were delivered, at what cost, and how membership coped.
public struct RunMeasures: Sendable, Codable, Equatable {
    /// Broadcasts originated.
    public var messages = 0
    /// Mean over broadcasts of the share of eligible nodes that delivered it. Eligible: running at the end
    /// of the run, not the origin, and started (or last restarted) before the broadcast.
    public var reliability = 1.0
    /// Share of broadcasts delivered to every eligible node.
    public var fullyDelivered = 1.0
    /// Relative message redundancy, m/(n-1) - 1 aggregated: payload copies received beyond the first per
    /// delivery (duplicates / deliveries). 0 is a perfect tree.
    public var rmr = 0.0
    /// Last delivery hop: mean over broadcasts of the most hops any node's copy travelled.
    public var ldh = 0.0
    /// Delivery latency from broadcast to delivery, seconds.
    public var latencyP50 = 0.0
    public var latencyP90 = 0.0
    public var latencyP99 = 0.0
    public var latencyMax = 0.0
    /// Deliveries made.
    public var deliveries = 0
    /// Datagrams plus streams sent per delivery (every protocol, membership included).
    public var messagesPerDelivery = 0.0
    /// Bytes sent per delivery.
    public var bytesPerDelivery = 0.0
    /// Plumtree messages sent per delivery (Gossip, IHave, Graft, Prune).
    public var plumtreeMessagesPerDelivery = 0.0
    /// Deliveries as Plumtree counts them (`plumtree_messages_delivered_total`, the cluster's sum): the
    /// denominator a real cluster's figures can use, for comparing with ``deliveries``.
    public var plumtreeDelivered = 0.0
    public var gossipSent = 0.0
    public var ihaveSent = 0.0
    public var graftsSent = 0.0
    public var prunesSent = 0.0
    public var graftSuccesses = 0.0
    public var graftFailures = 0.0
    /// Suspicions and deaths declared about members that were running and reachable.
    public var falseSuspicions = 0
    public var falseDeaths = 0
    /// Mean time from a crash to the first node suspecting or declaring the crashed node dead, seconds
    /// (nil without crashes or without a failure detector).
    public var timeToFirstDetection: Double?
    /// Mean time from a crash until every running node has declared the crashed node dead, seconds.
    public var timeToFullDetection: Double?
    /// Time from the last heal to the last delivery of a broadcast made before it, seconds.
    public var timeToHeal: Double?
    public var datagramsSent = 0
    public var datagramsLost = 0
    public var datagramsCut = 0
    public var streamsOpened = 0
    public var streamsFailed = 0
    public var events = 0
}

extension Simulation {
    /// The measures of the run so far.
    public func measures() -> RunMeasures {
        var m = RunMeasures()
        let recorder = self.recorder
        // When each node last (re)started, to judge eligibility.
        var startedAt = [UInt64](repeating: 0, count: nodeCount)
        for fault in recorder.faults where fault.kind == .restart {
            for node in fault.nodes { startedAt[node.index] = fault.time.nanoseconds }
        }
        let running = runningNodes
        var reliabilitySum = 0.0, full = 0, hopsSum = 0
        for key in recorder.originatedMessages {
            guard let record = recorder.messages[key] else { continue }
            var eligible = 0, got = 0
            for node in running where node != record.origin && startedAt[node.index] <= record.time.nanoseconds {
                eligible += 1
                if recorder.delivered(key, at: node) { got += 1 }
            }
            let share = eligible == 0 ? 1 : Double(got) / Double(eligible)
            reliabilitySum += share
            if got == eligible { full += 1 }
            hopsSum += record.maxHops
        }
        m.messages = recorder.originatedMessages.count
        if m.messages > 0 {
            m.reliability = reliabilitySum / Double(m.messages)
            m.fullyDelivered = Double(full) / Double(m.messages)
            m.ldh = Double(hopsSum) / Double(m.messages)
        }
        m.deliveries = recorder.latency.count
        m.latencyP50 = recorder.latency.quantile(0.5)
        m.latencyP90 = recorder.latency.quantile(0.9)
        m.latencyP99 = recorder.latency.quantile(0.99)
        m.latencyMax = recorder.latency.quantile(1)
        let delivered = clusterTotal("plumtree_messages_delivered_total")
        m.plumtreeDelivered = delivered
        let duplicates = clusterTotal("plumtree_messages_duplicate_total")
        m.rmr = delivered > 0 ? duplicates / delivered : 0
        m.gossipSent = clusterTotal("plumtree_gossip_sent_total")
        m.ihaveSent = clusterTotal("plumtree_ihave_sent_total")
        m.graftsSent = clusterTotal("plumtree_graft_sent_total")
        m.prunesSent = clusterTotal("plumtree_prune_sent_total")
        m.graftSuccesses = clusterTotal("plumtree_graft_success_total")
        m.graftFailures = clusterTotal("plumtree_graft_failed_total")
        let perDelivery = Double(max(1, m.deliveries))
        m.messagesPerDelivery = Double(recorder.datagramsSent + recorder.streamsOpened) / perDelivery
        m.bytesPerDelivery = Double(recorder.datagramBytes + recorder.streamBytes) / perDelivery
        m.plumtreeMessagesPerDelivery = (m.gossipSent + m.ihaveSent + m.graftsSent + m.prunesSent) / perDelivery
        for observation in recorder.stateObservations where !observation.genuine {
            if observation.state == .suspect { m.falseSuspicions += 1 }
            if observation.state == .dead { m.falseDeaths += 1 }
        }
        detection(into: &m)
        healing(into: &m)
        m.datagramsSent = recorder.datagramsSent
        m.datagramsLost = recorder.datagramsLost
        m.datagramsCut = recorder.datagramsCut
        m.streamsOpened = recorder.streamsOpened
        m.streamsFailed = recorder.streamsFailed
        m.events = eventsProcessed
        return m
    }

    private func detection(into m: inout RunMeasures) {
        var firstSum = 0.0, firstCount = 0, fullSum = 0.0, fullCount = 0
        let crashes = recorder.faults.filter { $0.kind == .crash }
        for crash in crashes {
            guard let node = crash.nodes.first else { continue }
            let after = recorder.stateObservations.filter { $0.member == node && $0.time >= crash.time && $0.state != .left }
            if let first = after.first {
                firstSum += first.time.duration(since: crash.time).seconds
                firstCount += 1
            }
            // Full detection: every node running at the end that was running at the crash saw it dead.
            let observers = runningNodes.filter { $0 != node }
            var deadAt: [NodeID: Instant] = [:]
            for observation in after where observation.state == .dead && deadAt[observation.observer] == nil {
                deadAt[observation.observer] = observation.time
            }
            if !observers.isEmpty, observers.allSatisfy({ deadAt[$0] != nil }) {
                let last = observers.compactMap { deadAt[$0] }.max()!
                fullSum += last.duration(since: crash.time).seconds
                fullCount += 1
            }
        }
        if firstCount > 0 { m.timeToFirstDetection = firstSum / Double(firstCount) }
        if fullCount > 0 { m.timeToFullDetection = fullSum / Double(fullCount) }
    }

    private func healing(into m: inout RunMeasures) {
        guard let heal = recorder.faults.last(where: { $0.kind == .heal }) else { return }
        var last: Instant?
        for key in recorder.originatedMessages {
            guard let record = recorder.messages[key], record.time < heal.time, let at = recorder.lastDelivery[key] else { continue }
            if at > heal.time, last == nil || at > last! { last = at }
        }
        m.timeToHeal = (last ?? heal.time).duration(since: heal.time).seconds
    }
}
