import Testing
import ProtocolSupport
@testable import GossipObservability

@Suite("HealthModel: the contract's rules, windowed graft ratio, configurable thresholds")
struct HealthModelTests {
    let t0 = Instant(nanoseconds: 1_000_000_000_000)

    /// A node with nothing wrong: 3 eager, 2 lazy, minimum 3, cache half full, one other member.
    func healthyInput() -> HealthInput {
        HealthInput(
            running: true, eagerPeers: 3, lazyPeers: 2, minimumPeers: 3, cacheSize: 500, cacheCapacity: 1000,
            pendingGrafts: 0, awarenessScore: 0, members: MembersByState(alive: 5), otherLiveMembers: 4)
    }

    func codes(_ report: HealthReport) -> [HealthReason.Code] { report.reasons.map(\.code) }

    @Test("a node with nothing wrong is healthy with no reason")
    func healthy() {
        let report = HealthModel().evaluate(healthyInput(), now: t0)
        #expect(report.status == .healthy)
        #expect(report.reasons.isEmpty)
    }

    @Test("a leaf of the broadcast tree (its parent the one eager peer, lazy peers behind it) is healthy")
    func leafIsHealthy() {
        var input = healthyInput()
        input.eagerPeers = 1; input.lazyPeers = 5; input.totalPeers = 6
        let report = HealthModel().evaluate(input, now: t0)
        #expect(report.status == .healthy)
        #expect(report.reasons.isEmpty)
        // With its last eager link gone too, the same node is degraded.
        input.eagerPeers = 0; input.totalPeers = 5
        #expect(codes(HealthModel().evaluate(input, now: t0)) == [.noEagerPeers])
    }

    @Test("isolated: no overlay peer at all is unhealthy")
    func isolated() {
        var input = healthyInput()
        input.eagerPeers = 0; input.lazyPeers = 0; input.totalPeers = 0
        let report = HealthModel().evaluate(input, now: t0)
        #expect(report.status == .unhealthy)
        #expect(codes(report) == [.noPeers])
    }

    @Test("not running is unhealthy")
    func notRunning() {
        var input = healthyInput()
        input.running = false
        #expect(codes(HealthModel().evaluate(input, now: t0)) == [.notRunning])
    }

    @Test("no eager peer while lazy peers exist is degraded")
    func noEager() {
        var input = healthyInput()
        input.eagerPeers = 0; input.totalPeers = 2
        let report = HealthModel().evaluate(input, now: t0)
        #expect(report.status == .degraded)
        #expect(codes(report) == [.noEagerPeers, .belowMinimumPeers])
    }

    @Test("cache nearly full: degraded at 0.9, not at 0.899")
    func cacheNearlyFull() {
        var input = healthyInput()
        input.cacheSize = 900
        #expect(codes(HealthModel().evaluate(input, now: t0)) == [.cacheNearlyFull])
        input.cacheSize = 899
        #expect(HealthModel().evaluate(input, now: t0).status == .healthy)
    }

    @Test("graft backlog: degraded above 50 pending, not at 50")
    func backlog() {
        var input = healthyInput()
        input.pendingGrafts = 51
        #expect(codes(HealthModel().evaluate(input, now: t0)) == [.graftBacklog])
        input.pendingGrafts = 50
        #expect(HealthModel().evaluate(input, now: t0).status == .healthy)
    }

    @Test("fewer peers than the configured minimum, and an awareness score above 0, are degraded")
    func minimumAndAwareness() {
        var input = healthyInput()
        input.lazyPeers = 0; input.eagerPeers = 2; input.totalPeers = 2
        input.awarenessScore = 1
        let report = HealthModel().evaluate(input, now: t0)
        #expect(report.status == .degraded)
        #expect(codes(report) == [.belowMinimumPeers, .awarenessDegraded])
    }

    @Test("graft failures: degraded at a 10% ratio, unhealthy above 50% with at least 10 grafts")
    func graftFailures() {
        var model = HealthModel()
        model.recordGraftSuccess(9, at: t0)
        model.recordGraftFailure(1, at: t0)
        var report = model.evaluate(healthyInput(), now: t0)
        #expect(codes(report) == [.graftFailuresElevated])
        #expect(report.graftFailureRatio == 0.1)

        model = HealthModel()
        model.recordGraftSuccess(4, at: t0)
        model.recordGraftFailure(6, at: t0)
        report = model.evaluate(healthyInput(), now: t0)
        #expect(report.status == .unhealthy)
        #expect(codes(report) == [.graftFailuresCritical])

        // 6 of 9 is above 50% but fewer than 10 grafts: only degraded.
        model = HealthModel()
        model.recordGraftSuccess(3, at: t0)
        model.recordGraftFailure(6, at: t0)
        #expect(codes(model.evaluate(healthyInput(), now: t0)) == [.graftFailuresElevated])

        // Exactly 50% with 10 grafts is not above 50%.
        model = HealthModel()
        model.recordGraftSuccess(5, at: t0)
        model.recordGraftFailure(5, at: t0)
        #expect(model.evaluate(healthyInput(), now: t0).status == .degraded)
    }

    @Test("the graft ratio is windowed: failures older than a minute no longer count")
    func windowed() {
        var model = HealthModel()
        model.recordGraftFailure(20, at: t0)
        #expect(model.evaluate(healthyInput(), now: t0 + .seconds(30)).status == .unhealthy)
        #expect(model.evaluate(healthyInput(), now: t0 + .seconds(59)).status == .unhealthy)
        #expect(model.evaluate(healthyInput(), now: t0 + .seconds(61)).status == .healthy)
        // New successes after the old failures aged out: the ratio is theirs alone.
        model.recordGraftSuccess(10, at: t0 + .seconds(90))
        let report = model.evaluate(healthyInput(), now: t0 + .seconds(95))
        #expect(report.graftFailureRatio == 0)
        #expect(report.graftSuccessesInWindow == 10)
    }

    @Test("cumulative counters fed as totals become windowed increases")
    func totals() {
        var model = HealthModel()
        model.observeGraftTotals(successes: 1000, failures: 900, at: t0)  // baseline, history before start
        #expect(model.evaluate(healthyInput(), now: t0).status == .healthy)
        model.observeGraftTotals(successes: 1010, failures: 902, at: t0 + .seconds(10))
        let report = model.evaluate(healthyInput(), now: t0 + .seconds(10))
        #expect(report.graftSuccessesInWindow == 10)
        #expect(report.graftFailuresInWindow == 2)
        #expect(codes(report) == [.graftFailuresElevated])
        // A restart (totals going down) starts a new baseline instead of counting negative.
        model.observeGraftTotals(successes: 5, failures: 0, at: t0 + .seconds(20))
        #expect(model.evaluate(healthyInput(), now: t0 + .seconds(20)).graftSuccessesInWindow == 10)
    }

    @Test("thresholds are configuration")
    func configurable() {
        var configuration = HealthConfiguration()
        configuration.maximumPendingGrafts = 5
        configuration.degradedCacheUtilisation = 0.5
        configuration.graftWindow = .seconds(10)
        var input = healthyInput()
        input.pendingGrafts = 6
        var model = HealthModel(configuration: configuration)
        model.recordGraftFailure(1, at: t0)
        let report = model.evaluate(input, now: t0 + .seconds(5))
        #expect(codes(report) == [.graftFailuresElevated, .cacheNearlyFull, .graftBacklog])
        #expect(model.evaluate(healthyInput(), now: t0 + .seconds(11)).reasons.map(\.code) == [.cacheNearlyFull])
    }

    @Test("unhealthy reasons come first, then degraded ones")
    func ordering() {
        var input = healthyInput()
        input.pendingGrafts = 100
        input.running = false
        let report = HealthModel().evaluate(input, now: t0)
        #expect(report.status == .unhealthy)
        #expect(codes(report) == [.notRunning, .graftBacklog])
        #expect(report.reasons[1].message.contains("100 missing messages"))
    }
}

@Suite struct ConsumerLaggingHealthTests {
    @Test("a lagging consumer degrades an otherwise healthy node and names the stream")
    func laggingConsumerDegrades() {
        let model = HealthModel()
        let healthy = HealthInput(running: true, eagerPeers: 2, lazyPeers: 1, minimumPeers: 2)
        #expect(model.evaluate(healthy, now: Instant(nanoseconds: 0)).status == .healthy)
        var lagging = healthy
        lagging.laggingConsumers = ["messages"]
        let report = model.evaluate(lagging, now: Instant(nanoseconds: 0))
        #expect(report.status == .degraded)
        #expect(report.reasons.map(\.code) == [.consumerLagging])
        #expect(report.reasons.first?.message.contains("messages") == true)
    }
}

@Suite struct VersionMismatchHealthTests {
    @Test("members with no Plumtree version in common degrade the node, named with what they speak")
    func versionMismatchDegrades() {
        let model = HealthModel()
        var input = HealthInput(running: true, eagerPeers: 2, lazyPeers: 1, minimumPeers: 2)
        input.incompatibleMembers = ["old-1": "1", "old-2": "1"]
        let report = model.evaluate(input, now: Instant(nanoseconds: 0))
        #expect(report.status == .degraded)
        #expect(report.reasons.map(\.code) == [.plumtreeVersionMismatch])
        #expect(report.reasons.first?.message.contains("old-1 (plumtree=1), old-2 (plumtree=1)") == true)
        input.incompatibleMembers = Dictionary(uniqueKeysWithValues: (1...8).map { ("n\($0)", "3") })
        #expect(model.evaluate(input, now: Instant(nanoseconds: 0)).reasons.first?.message.contains("and 3 more") == true)
    }
}
