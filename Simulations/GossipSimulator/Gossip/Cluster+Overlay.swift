import ProtocolSupport

extension Cluster {
    /// Every running node's overlay neighbours (eager and lazy), by node.
    public func overlay() -> [NodeID: Set<NodeID>] {
        var held: [NodeID: Set<NodeID>] = [:]
        for node in runningNodes {
            guard let snapshot = simulation.perform(on: node, { node, _, _ in node.plumtreeSnapshot }) else { continue }
            held[node] = Set((snapshot.eagerPeers + snapshot.lazyPeers).compactMap(NodeID.init(name:)))
        }
        return held
    }

    /// Links of `overlay` held by one end only (the other end does not hold it, or is not running).
    public static func oneSidedLinks(_ overlay: [NodeID: Set<NodeID>]) -> [(NodeID, NodeID)] {
        overlay.keys.sorted().flatMap { node in
            overlay[node]!.sorted().filter { !(overlay[$0]?.contains(node) ?? false) }.map { (node, $0) }
        }
    }

    /// Whether the links of `overlay` reach every node it lists from any one of them.
    public static func isConnected(_ overlay: [NodeID: Set<NodeID>]) -> Bool {
        guard let start = overlay.keys.min() else { return true }
        var reached: Set<NodeID> = [start]
        var frontier = [start]
        while let next = frontier.popLast() {
            for other in overlay[next] ?? [] where overlay[other] != nil && reached.insert(other).inserted { frontier.append(other) }
        }
        return reached.count == overlay.count
    }

    /// The first broken invariant of any running node, with the node.
    public func invariantViolations() -> [String] {
        runningNodes.compactMap { node in
            simulation.perform(on: node) { node, _, _ in node.invariantViolation }.flatMap { $0.map { "\(node.name): \($0)" } }
        }
    }
}
