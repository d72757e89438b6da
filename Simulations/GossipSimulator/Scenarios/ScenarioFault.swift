/// A fault a scenario injects, described rather than hidden in a closure, so that the lab can inject the
/// same fault into real processes from the scenario's plan (``ScenarioPlan/faults``).
///
/// Only faults the lab's kernel tools can reproduce are listed: a crash is kill -9, a partition and an
/// isolation are iptables rules, loss is iptables' `statistic` match. Latency and slow nodes have no
/// kernel counterpart here (no netem), so scenarios script those with ``ScenarioContext/at(_:_:_:)``.
public enum ScenarioFault: Sendable, Equatable {
    /// The nodes crash for good (kill -9).
    case crash([NodeID])
    /// No group hears another.
    case partition([[NodeID]])
    /// One node hears no one and no one hears it.
    case isolate(NodeID)
    /// Every partition and isolation is lifted.
    case heal
    /// Every link drops this share of datagrams.
    case loss(Double)

    /// The label the report's charts show.
    var label: String {
        switch self {
        case .crash(let nodes): "crash \(nodes.count)"
        case .partition(let groups): "partition \(groups.map { "\($0.count)" }.joined(separator: "/"))"
        case .isolate(let node): "isolate \(node.name)"
        case .heal: "heal"
        case .loss(let share): "\(Int((share * 100).rounded()))% loss"
        }
    }

    func apply(to cluster: Cluster) {
        switch self {
        case .crash(let nodes): nodes.forEach(cluster.crash)
        case .partition(let groups): cluster.partition(groups)
        case .isolate(let node): cluster.isolate(node)
        case .heal: cluster.heal()
        case .loss(let share): cluster.setConditions(cluster.options.conditions.with(loss: share))
        }
    }
}

extension ScenarioContext {
    /// Injects `fault` at `time`, marks it on the charts, and lists it in the scenario's plan.
    public func inject(_ fault: ScenarioFault, at time: Duration) {
        faults.append((time.seconds, fault))
        at(time, fault.label) { cluster in fault.apply(to: cluster) }
    }
}
