import ProtocolSupport

/// The node's health model: the contract's rules over a ``HealthInput`` and a windowed graft record.
///
/// Pure: it reads no clock. The node records graft outcomes as they happen (or feeds the cumulative
/// counters) with the loop's time, and asks for a report with the time of the request.
///
/// - unhealthy: not running; no overlay peer at all; graft failure ratio above 0.5 over the window with at
///   least 10 grafts in it.
/// - degraded: no eager peer while lazy peers exist; cache utilisation at or above 0.9; graft failure
///   ratio at or above 0.1; more than 50 pending grafts; fewer overlay peers than the configured minimum;
///   Lifeguard awareness score above 0; the application's consumer of a delivery stream behind
///   (`consumer_lagging`: the node is fine, but what it delivers is being lost or piling up); members running
///   Plumtree in versions this node does not speak (`plumtree_version_mismatch`: a rolling upgrade that
///   skipped the step where both versions are spoken).
/// - healthy otherwise.
public struct HealthModel: Sendable, Equatable {
    public let configuration: HealthConfiguration
    public private(set) var grafts: GraftOutcomeWindow

    public init(configuration: HealthConfiguration = HealthConfiguration()) {
        self.configuration = configuration
        self.grafts = GraftOutcomeWindow(window: configuration.graftWindow)
    }

    /// A grafted message arrived at `now`.
    public mutating func recordGraftSuccess(_ count: UInt64 = 1, at now: Instant) {
        grafts.recordSuccess(count, at: now)
    }

    /// A missing message was given up on at `now`.
    public mutating func recordGraftFailure(_ count: UInt64 = 1, at now: Instant) {
        grafts.recordFailure(count, at: now)
    }

    /// Feeds the cumulative graft counters; see ``GraftOutcomeWindow/observeTotals(successes:failures:at:)``.
    public mutating func observeGraftTotals(successes: UInt64, failures: UInt64, at now: Instant) {
        grafts.observeTotals(successes: successes, failures: failures, at: now)
    }

    /// The report for `input` at `now`.
    public func evaluate(_ input: HealthInput, now: Instant) -> HealthReport {
        let config = configuration
        let (successes, failures) = grafts.totals(at: now)
        let outcomes = successes &+ failures
        let ratio = outcomes == 0 ? 0 : Double(failures) / Double(outcomes)
        var reasons: [HealthReason] = []

        if !input.running {
            reasons.append(.init(.notRunning, .unhealthy, "the node is not running"))
        }
        if input.totalPeers < 1 {
            reasons.append(.init(.noPeers, .unhealthy,
                                 "no overlay peer at all: check the network and that the node joined a cluster"))
        }
        let windowText = "\(Int(config.graftWindow.seconds))s"
        if outcomes >= UInt64(max(0, config.unhealthyMinimumGrafts)), ratio > config.unhealthyGraftFailureRatio {
            reasons.append(.init(.graftFailuresCritical, .unhealthy,
                                 "graft failure ratio \(Self.percent(ratio)) over the last \(windowText) (\(failures) of \(outcomes)) is above \(Self.percent(config.unhealthyGraftFailureRatio))"))
        } else if outcomes > 0, ratio >= config.degradedGraftFailureRatio {
            reasons.append(.init(.graftFailuresElevated, .degraded,
                                 "graft failure ratio \(Self.percent(ratio)) over the last \(windowText) (\(failures) of \(outcomes)) is at or above \(Self.percent(config.degradedGraftFailureRatio))"))
        }
        if input.eagerPeers < 1, input.lazyPeers > 0 {
            reasons.append(.init(.noEagerPeers, .degraded,
                                 "no eager peer while \(input.lazyPeers) lazy peers exist: messages arrive only through IHave and Graft"))
        }
        let utilisation = input.cacheUtilisation
        if input.cacheCapacity > 0, utilisation >= config.degradedCacheUtilisation {
            reasons.append(.init(.cacheNearlyFull, .degraded,
                                 "message cache \(input.cacheSize)/\(input.cacheCapacity) (\(Self.percent(utilisation))) is at or above \(Self.percent(config.degradedCacheUtilisation))"))
        }
        if input.pendingGrafts > config.maximumPendingGrafts {
            reasons.append(.init(.graftBacklog, .degraded,
                                 "\(input.pendingGrafts) missing messages wait for a Graft answer (more than \(config.maximumPendingGrafts))"))
        }
        if input.totalPeers >= 1, input.totalPeers < input.minimumPeers {
            reasons.append(.init(.belowMinimumPeers, .degraded,
                                 "\(input.totalPeers) overlay peers, fewer than the configured minimum of \(input.minimumPeers)"))
        }
        if input.awarenessScore > config.maximumAwarenessScore {
            reasons.append(.init(.awarenessDegraded, .degraded,
                                 "Lifeguard awareness score is \(input.awarenessScore): this node answers probes late (CPU, GC pauses or network)"))
        }
        if !input.laggingConsumers.isEmpty {
            reasons.append(.init(.consumerLagging, .degraded,
                                 "the application reads \(input.laggingConsumers.joined(separator: " and ")) slower than they arrive: its buffer is full or entries were dropped (gossip_node_deliveries_dropped_total)"))
        }
        if !input.incompatibleMembers.isEmpty {
            let named = input.incompatibleMembers.sorted { $0.key < $1.key }.prefix(5)
                .map { "\($0.key) (plumtree=\($0.value))" }.joined(separator: ", ")
            let more = input.incompatibleMembers.count > 5 ? " and \(input.incompatibleMembers.count - 5) more" : ""
            reasons.append(.init(.plumtreeVersionMismatch, .degraded,
                                 "no Plumtree version in common with \(named)\(more): broadcasts do not pass between them and this node; upgrade through a release that speaks both versions"))
        }

        // Stable order: worst first, then in the order the rules are listed above.
        let ordered = reasons.enumerated().sorted { lhs, rhs in
            lhs.element.severity != rhs.element.severity
                ? lhs.element.severity > rhs.element.severity : lhs.offset < rhs.offset
        }.map(\.element)
        return HealthReport(
            status: ordered.first?.severity ?? .healthy, reasons: ordered, input: input,
            graftFailureRatio: ratio, graftSuccessesInWindow: successes, graftFailuresInWindow: failures,
            graftWindow: config.graftWindow)
    }

    private static func percent(_ ratio: Double) -> String {
        "\(Int((ratio * 100).rounded()))%"
    }
}
