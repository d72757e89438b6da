/// The thresholds of the health model; the defaults are the observability contract's.
public struct HealthConfiguration: Sendable, Equatable {
    /// How far back the graft failure ratio looks.
    public var graftWindow: Duration = .seconds(60)
    /// Unhealthy when the windowed graft failure ratio is above this...
    public var unhealthyGraftFailureRatio: Double = 0.5
    /// ...and the window holds at least this many graft outcomes.
    public var unhealthyMinimumGrafts: Int = 10
    /// Degraded when the windowed graft failure ratio is at or above this.
    public var degradedGraftFailureRatio: Double = 0.1
    /// Degraded when cache size / capacity is at or above this.
    public var degradedCacheUtilisation: Double = 0.9
    /// Degraded when more than this many missing messages wait for a Graft answer.
    public var maximumPendingGrafts: Int = 50
    /// Degraded when the Lifeguard awareness score is above this.
    public var maximumAwarenessScore: Int = 0
    /// `/health/live` fails when the event loop has not ticked for longer than this.
    public var livenessTimeout: Duration = .seconds(5)

    public init() {}
}
