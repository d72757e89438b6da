import ProtocolSupport

/// Time series of every node's metrics, one sample per virtual scrape, as Prometheus would have stored them.
///
/// A series is keyed by its node and its Prometheus key (`name{labels}`); its values are indexed by scrape
/// number, NaN where the node did not answer the scrape (crashed, left) or had not created the series yet.
/// Every node also gets `up` (1 while its process runs, 0 when crashed), like Prometheus' own `up`.
public struct MetricsSampler {
    public struct SeriesID: Hashable, Comparable, Sendable {
        public var node: NodeID
        /// Prometheus key without the `instance` and `job` labels, e.g. `plumtree_eager_peers`.
        public var key: String

        public static func < (lhs: SeriesID, rhs: SeriesID) -> Bool {
            lhs.node != rhs.node ? lhs.node < rhs.node : lhs.key < rhs.key
        }
    }

    /// Virtual time between scrapes.
    public let interval: Duration
    /// When true only the names in `keep` are stored (memory for very large clusters).
    let keep: Set<String>?
    /// The virtual time of each scrape, in order.
    public private(set) var times: [Instant] = []
    private var index: [SeriesID: Int] = [:]
    private(set) var ids: [SeriesID] = []
    private(set) var columns: [[Double]] = []

    public init(interval: Duration = .seconds(15), keep: Set<String>? = nil) {
        self.interval = interval
        self.keep = keep
    }

    /// Number of scrapes taken.
    public var scrapeCount: Int { times.count }

    /// Records one scrape at `now`; `nodes` yields every scrape target: its id, whether its process is up,
    /// and its registry (nil when down).
    mutating func scrape(now: Instant, targets: [(NodeID, (any SimulatedMetrics)?)]) {
        let scrapeIndex = times.count
        times.append(now)
        for (node, registry) in targets {
            append(SeriesID(node: node, key: "up"), registry == nil ? 0 : 1, at: scrapeIndex)
            guard let registry else { continue }
            registry.forEachSample { key, value in
                if let keep, !keep.contains(Self.metricName(of: key)) { return }
                append(SeriesID(node: node, key: key), value, at: scrapeIndex)
            }
        }
        // Pad every series that got no sample this scrape: the target was down or the series is gone.
        for column in columns.indices where columns[column].count <= scrapeIndex {
            columns[column].append(.nan)
        }
    }

    private mutating func append(_ id: SeriesID, _ value: Double, at scrapeIndex: Int) {
        if let column = index[id] {
            if columns[column].count <= scrapeIndex { columns[column].append(value) }
            return
        }
        index[id] = columns.count
        ids.append(id)
        var values = [Double](repeating: .nan, count: scrapeIndex)
        values.reserveCapacity(scrapeIndex + 64)
        values.append(value)
        columns.append(values)
    }

    /// The samples of one series (NaN where absent), nil if the series never existed.
    public func series(_ node: NodeID, _ key: String) -> [Double]? {
        index[SeriesID(node: node, key: key)].map { columns[$0] }
    }

    /// Every series id, sorted by node then key.
    public var seriesIDs: [SeriesID] { ids.sorted() }

    /// For each scrape, the sum over nodes of series named exactly `key` (absent samples count as 0).
    public func clusterSum(_ key: String) -> [Double] {
        var sums = [Double](repeating: 0, count: times.count)
        for (i, id) in ids.enumerated() where id.key == key {
            for (t, v) in columns[i].enumerated() where !v.isNaN { sums[t] += v }
        }
        return sums
    }

    /// The metric name of a series key (`name{...}` -> `name`).
    static func metricName(of key: String) -> String {
        if let brace = key.firstIndex(of: "{") { return String(key[..<brace]) }
        return key
    }
}
