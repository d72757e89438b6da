/// What a metric is, as the cores declare it next to the place they record it.
///
/// The cores record through swift-metrics objects built once from a factory the driver passes in. The
/// observability layer reads these descriptors to give every exported metric its HELP text and its exact
/// buckets, and the docs' catalogue test compares them with what a live node exports.
public struct MetricDescriptor: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable {
        case counter, gauge, histogram
    }

    /// The Prometheus name, e.g. `plumtree_graft_latency_seconds`.
    public var name: String
    public var kind: Kind
    /// The HELP line: what is counted or measured, and its unit.
    public var help: String
    /// Histogram upper bounds (`le`), exactly as the contract lists them; empty for other kinds.
    public var buckets: [Double]
    /// Label names this metric carries (e.g. `state`, `reason`); values are fixed by the core.
    public var labelNames: [String]

    public init(name: String, kind: Kind, help: String, buckets: [Double] = [], labelNames: [String] = []) {
        self.name = name
        self.kind = kind
        self.help = help
        self.buckets = buckets
        self.labelNames = labelNames
    }
}
