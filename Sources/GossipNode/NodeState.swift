import Synchronization

/// Where the node is in its life, readable from any thread (the admin server and `run()` read it).
final class NodeState: Sendable {
    enum Phase: Sendable, Equatable { case created, started, leaving, stopped }
    private let phase = Mutex(Phase.created)

    var current: Phase { phase.withLock { $0 } }

    /// Moves from `from` to `to`; false (and no change) when the node is elsewhere.
    func advance(from: Phase, to: Phase) -> Bool {
        phase.withLock { current in
            guard current == from else { return false }
            current = to
            return true
        }
    }

    func set(_ new: Phase) { phase.withLock { $0 = new } }
}
