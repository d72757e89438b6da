import Foundation
import Testing
import ProtocolSupport
@testable import GossipObservability

@Suite("Health endpoints: status codes and JSON bodies")
struct HealthEndpointTests {
    let t0 = Instant(nanoseconds: 5_000_000_000)

    func input(eager: Int = 3, lazy: Int = 1, pending: Int = 0, cache: Int = 10, others: Int = 2, running: Bool = true) -> HealthInput {
        HealthInput(
            running: running, eagerPeers: eager, lazyPeers: lazy, minimumPeers: 2, cacheSize: cache, cacheCapacity: 100,
            pendingGrafts: pending, awarenessScore: 0, members: MembersByState(alive: 3, suspect: 1, dead: 2, left: 1),
            otherLiveMembers: others)
    }

    func json(_ answer: HTTPAnswer) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(answer.body))
        return try #require(object as? [String: Any])
    }

    @Test("/health answers 200, 503, 500 by status with the report as JSON")
    func healthCodes() throws {
        let model = HealthModel()
        let healthy = ObservabilityEndpoints.health(model.evaluate(input(), now: t0))
        #expect(healthy.status == 200)
        #expect(healthy.contentType == "application/json; charset=utf-8")
        let body = try json(healthy)
        #expect(body["status"] as? String == "healthy")
        #expect((body["reasons"] as? [Any])?.isEmpty == true)
        let peers = try #require(body["peers"] as? [String: Any])
        #expect(peers["eager"] as? Int == 3)
        #expect(peers["lazy"] as? Int == 1)
        #expect(peers["total"] as? Int == 4)
        let cache = try #require(body["cache"] as? [String: Any])
        #expect(cache["utilisation"] as? Double == 0.1)
        let members = try #require(body["members"] as? [String: Any])
        #expect(members["dead"] as? Int == 2)
        #expect(members["left"] as? Int == 1)
        let grafts = try #require(body["grafts"] as? [String: Any])
        #expect(grafts["failure_ratio"] as? Int == 0)

        let degraded = ObservabilityEndpoints.health(model.evaluate(input(pending: 80), now: t0))
        #expect(degraded.status == 503)
        let reasons = try #require(try json(degraded)["reasons"] as? [[String: Any]])
        #expect(reasons.first?["code"] as? String == "graft_backlog")
        #expect(reasons.first?["severity"] as? String == "degraded")

        let unhealthy = ObservabilityEndpoints.health(model.evaluate(input(eager: 0, lazy: 0), now: t0))
        #expect(unhealthy.status == 500)
        #expect(try json(unhealthy)["status"] as? String == "unhealthy")
    }

    @Test("/health/live follows the watchdog: 503 before the first tick and when stale, 200 while ticking")
    func live() throws {
        let watchdog = LivenessWatchdog(timeout: .seconds(5))
        #expect(ObservabilityEndpoints.live(watchdog, now: t0).status == 503)
        watchdog.tick(now: t0)
        #expect(ObservabilityEndpoints.live(watchdog, now: t0 + .seconds(5)).status == 200)
        let stale = ObservabilityEndpoints.live(watchdog, now: t0 + .seconds(6))
        #expect(stale.status == 503)
        #expect(try json(stale)["status"] as? String == "stalled")
        watchdog.tick(now: t0 + .seconds(6))
        #expect(ObservabilityEndpoints.live(watchdog, now: t0 + .seconds(7)).status == 200)
    }

    @Test("/health/ready: started, joined to another member, not unhealthy")
    func ready() throws {
        let model = HealthModel()
        #expect(ObservabilityEndpoints.ready(model.evaluate(input(), now: t0)).status == 200)
        // Degraded is still ready: it serves, with less redundancy.
        #expect(ObservabilityEndpoints.ready(model.evaluate(input(pending: 80), now: t0)).status == 200)
        let alone = ObservabilityEndpoints.ready(model.evaluate(input(others: 0), now: t0))
        #expect(alone.status == 503)
        #expect(try json(alone)["problems"] as? [String] == ["not_joined"])
        let stopped = ObservabilityEndpoints.ready(model.evaluate(input(running: false), now: t0))
        #expect(try json(stopped)["problems"] as? [String] == ["not_started", "unhealthy"])
        #expect(try json(stopped)["ready"] as? Bool == false)
    }

    @Test("unknown paths get 404 with a short JSON error; long paths are cut")
    func notFound() throws {
        let answer = ObservabilityEndpoints.notFound(path: "/nope\"" + String(repeating: "x", count: 1000))
        #expect(answer.status == 404)
        let body = try json(answer)
        #expect(body["error"] as? String == "not found")
        #expect((body["path"] as? String)?.count == 256)
    }

    @Test("the health gauge follows the status")
    func gauge() {
        let metrics = NodeMetrics(descriptors: [])
        for status in HealthStatus.allCases {
            metrics.recordHealth(status)
            #expect(metrics.snapshot().value("plumtree_health_status") == Double(status.gaugeValue))
        }
    }

    enum Scenario: String, CaseIterable { case isolated, cacheNearlyFull, graftFailures, graftFailuresSevere, backlog }

    @Test("each state a node can be driven into answers /health with its code and reason", arguments: Scenario.allCases)
    func scenarios(_ scenario: Scenario) throws {
        var model = HealthModel()
        var state = input()
        let expected: (Int, String)
        switch scenario {
        case .isolated:
            state = input(eager: 0, lazy: 0)
            expected = (500, "no_peers")
        case .cacheNearlyFull:
            state = input(cache: 95)
            expected = (503, "cache_nearly_full")
        case .graftFailures:
            model.recordGraftSuccess(8, at: t0)
            model.recordGraftFailure(2, at: t0 + .seconds(30))
            expected = (503, "graft_failures_elevated")
        case .graftFailuresSevere:
            model.recordGraftSuccess(3, at: t0)
            model.recordGraftFailure(9, at: t0 + .seconds(30))
            expected = (500, "graft_failures_critical")
        case .backlog:
            state = input(pending: 51)
            expected = (503, "graft_backlog")
        }
        let answer = ObservabilityEndpoints.health(model.evaluate(state, now: t0 + .seconds(45)))
        #expect(answer.status == expected.0)
        let reasons = try #require(try json(answer)["reasons"] as? [[String: Any]])
        #expect(reasons.map { $0["code"] as? String } == [expected.1])
        // A minute later the graft outcomes have left the window and the node is healthy again.
        if scenario == .graftFailures || scenario == .graftFailuresSevere {
            #expect(ObservabilityEndpoints.health(model.evaluate(state, now: t0 + .seconds(95))).status == 200)
        }
    }
}
