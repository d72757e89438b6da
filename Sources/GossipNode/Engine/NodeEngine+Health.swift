import GossipObservability
import GossipRuntime
import Membership
import ProtocolSupport

/// The node's health: evaluated every second on the loop (which also proves the loop turns, for
/// /health/live), exported as `plumtree_health_status`, and on demand for /health and /health/ready.
extension NodeEngine {
    static let healthInterval: Duration = .seconds(1)

    func startHealthTicks() {
        let timer = LoopTimer(loop: loop)
        // Unowned: the engine's own timer, closed by `stop()`; a closed timer never fires.
        timer.schedule(after: Self.healthInterval, repeating: Self.healthInterval) { [unowned self] in
            self.healthTick()
        }
        healthTimer = timer
        healthTick()
    }

    func healthTick() {
        let now = loop.now
        watchdog.tick(now: now)
        let report = healthReport(now: now)
        // Drops are judged against the totals of the previous tick: a loss makes the stream lag for one tick
        // at least, even if its consumer catches up in between.
        deliveryDropsSeen = sink.droppedTotals
        let snapshot = core.plumtreeSnapshot
        logCacheEvictions(total: snapshot.cacheEvictions, cacheSize: snapshot.cacheSize, capacity: snapshot.cacheCapacity)
        if report.status != lastHealthStatus {
            if let previous = lastHealthStatus {
                loggers.metrics.log(level: KeyLogEvent.healthChanged.level, "\(KeyLogEvent.healthChanged.rawValue)", metadata: [
                    "from": "\(previous.rawValue)", "to": "\(report.status.rawValue)",
                    "reasons": "\(report.reasons.map(\.code.rawValue).joined(separator: ","))",
                ])
            }
            lastHealthStatus = report.status
        }
        recordHealth(report.status)
    }

    /// The health report now; the graft window is fed from the Plumtree core's cumulative counts.
    func healthReport(now: Instant) -> HealthReport {
        let snapshot = core.plumtreeSnapshot
        health.observeGraftTotals(successes: snapshot.graftSuccesses, failures: snapshot.graftFailures, at: now)
        let counts = core.memberCounts
        let members = MembersByState(alive: counts.alive, suspect: counts.suspect, dead: counts.dead, left: counts.left)
        let input = HealthInput(
            running: !stopped && !core.isLeft,
            eagerPeers: snapshot.eagerPeers.count,
            lazyPeers: snapshot.lazyPeers.count,
            minimumPeers: configuration.minimumPeers,
            cacheSize: snapshot.cacheSize,
            cacheCapacity: snapshot.cacheCapacity,
            pendingGrafts: snapshot.pendingGrafts,
            awarenessScore: core.healthScore,
            members: members,
            otherLiveMembers: max(0, counts.live - 1),
            laggingConsumers: sink.laggingStreams(droppedBefore: deliveryDropsSeen),
            incompatibleMembers: core.incompatibleMembers)
        return health.evaluate(input, now: now)
    }
}
