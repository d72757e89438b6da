import Logging

/// The parts of a node that log, each with its own level.
public enum LogComponent: String, Sendable, CaseIterable {
    /// Membership and Plumtree decisions: joins, leaves, failures, grafts, partitions, cache evictions.
    case `protocol`
    /// Sockets, packets, streams, refused input.
    case network
    /// The metrics registry and health changes.
    case metrics
    /// The admin HTTP server: refused and cut-off connections, its access mode.
    case admin

    /// The logger label for this component, e.g. `gossip.protocol`.
    public var label: String { "gossip.\(rawValue)" }

    /// The contract's production default: protocol info, network warning, metrics info (admin info, as
    /// the operator's own requests are what it logs).
    public var defaultLevel: Logger.Level {
        switch self {
        case .protocol: .info
        case .network: .warning
        case .metrics: .info
        case .admin: .info
        }
    }

    /// The component a logger label belongs to (`gossip.network.udp` is network); nil for foreign labels.
    public init?(label: String) {
        guard label.hasPrefix("gossip.") else { return nil }
        let rest = label.dropFirst("gossip.".count)
        let head = rest.split(separator: ".", maxSplits: 1).first.map(String.init) ?? ""
        self.init(rawValue: head)
    }
}
