/// The broadcast overlay as the members reported it to one node (``PlumtreeCore/requestTree(timeout:now:into:)``):
/// each member's eager neighbours (the links payloads travel, which form the broadcast tree) and lazy ones.
public struct BroadcastTreeView: Sendable, Equatable {
    /// One member's neighbours, each list in name order.
    public struct Neighbours: Sendable, Equatable {
        public var eager: [String]
        public var lazy: [String]

        public init(eager: [String], lazy: [String]) {
            self.eager = eager.sorted()
            self.lazy = lazy.sorted()
        }
    }

    /// The node that asked.
    public var root: String
    /// Every member that answered, the root included.
    public var members: [String: Neighbours]
    /// Members asked that did not answer in time, in name order.
    public var unanswered: [String]
    /// Members that run Plumtree in a version without tree queries (version 1), not asked, in name order.
    public var notAsked: [String]

    public init(root: String, members: [String: Neighbours], unanswered: [String], notAsked: [String]) {
        self.root = root
        self.members = members
        self.unanswered = unanswered.sorted()
        self.notAsked = notAsked.sorted()
    }

    /// The eager links, each once (a link is eager at both ends when the tree is settled), as (parent side
    /// first in name order, other side).
    public var eagerLinks: [(String, String)] {
        var links = Set<[String]>()
        for (name, neighbours) in members {
            for peer in neighbours.eager { links.insert([name, peer].sorted()) }
        }
        return links.sorted { $0.lexicographicallyPrecedes($1) }.map { ($0[0], $0[1]) }
    }
}
