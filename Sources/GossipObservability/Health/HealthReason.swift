/// One reason a node is not healthy: a stable code for machines, a sentence for people.
public struct HealthReason: Sendable, Equatable, CustomStringConvertible {
    /// Stable identifiers, used in the /health JSON and in tests.
    public enum Code: String, Sendable, CaseIterable {
        case notRunning = "not_running"
        case noPeers = "no_peers"
        case graftFailuresCritical = "graft_failures_critical"
        case noEagerPeers = "no_eager_peers"
        case cacheNearlyFull = "cache_nearly_full"
        case graftFailuresElevated = "graft_failures_elevated"
        case graftBacklog = "graft_backlog"
        case belowMinimumPeers = "below_minimum_peers"
        case awarenessDegraded = "awareness_degraded"
        case consumerLagging = "consumer_lagging"
        case plumtreeVersionMismatch = "plumtree_version_mismatch"
    }

    public var code: Code
    /// The status this reason alone implies.
    public var severity: HealthStatus
    public var message: String

    public init(_ code: Code, _ severity: HealthStatus, _ message: String) {
        self.code = code
        self.severity = severity
        self.message = message
    }

    public var description: String { "\(severity.rawValue): \(code.rawValue): \(message)" }
}
