/// A node's overall health, worst reason first.
public enum HealthStatus: String, Sendable, Comparable, CaseIterable {
    case healthy, degraded, unhealthy

    /// The value of the `plumtree_health_status` gauge: 0 healthy, 1 degraded, 2 unhealthy.
    public var gaugeValue: Int {
        switch self {
        case .healthy: 0
        case .degraded: 1
        case .unhealthy: 2
        }
    }

    /// The `/health` status code: 200 healthy, 503 degraded, 500 unhealthy.
    public var httpStatus: Int {
        switch self {
        case .healthy: 200
        case .degraded: 503
        case .unhealthy: 500
        }
    }

    public static func < (lhs: HealthStatus, rhs: HealthStatus) -> Bool { lhs.gaugeValue < rhs.gaugeValue }
}
