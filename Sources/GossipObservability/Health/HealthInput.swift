/// What the health model looks at: a snapshot of the node's state, taken by the node on its loop.
public struct HealthInput: Sendable, Equatable {
    /// Whether the node is started and not stopped.
    public var running: Bool
    public var eagerPeers: Int
    public var lazyPeers: Int
    /// Overlay peers (eager + lazy unless the overlay says otherwise).
    public var totalPeers: Int
    /// The overlay's configured minimum number of peers.
    public var minimumPeers: Int
    public var cacheSize: Int
    public var cacheCapacity: Int
    /// Missing messages waiting for a Graft answer.
    public var pendingGrafts: Int
    /// The Lifeguard awareness score (0 = healthy).
    public var awarenessScore: Int
    /// Members known, by state (this node included).
    public var members: MembersByState
    /// Members other than this node that are alive or suspect: readiness needs at least one.
    public var otherLiveMembers: Int
    /// The application's delivery streams (`messages`, `membership`) whose consumer is behind: its buffer
    /// is at the limit, or entries were dropped since the last look.
    public var laggingConsumers: [String]
    /// Members that run Plumtree in versions this node does not speak, with the versions each announces.
    public var incompatibleMembers: [String: String]

    public init(
        running: Bool, eagerPeers: Int, lazyPeers: Int, totalPeers: Int? = nil, minimumPeers: Int = 0,
        cacheSize: Int = 0, cacheCapacity: Int = 0, pendingGrafts: Int = 0, awarenessScore: Int = 0,
        members: MembersByState = MembersByState(), otherLiveMembers: Int = 0,
        laggingConsumers: [String] = [], incompatibleMembers: [String: String] = [:]
    ) {
        self.running = running
        self.eagerPeers = eagerPeers
        self.lazyPeers = lazyPeers
        self.totalPeers = totalPeers ?? (eagerPeers + lazyPeers)
        self.minimumPeers = minimumPeers
        self.cacheSize = cacheSize
        self.cacheCapacity = cacheCapacity
        self.pendingGrafts = pendingGrafts
        self.awarenessScore = awarenessScore
        self.members = members
        self.otherLiveMembers = otherLiveMembers
        self.laggingConsumers = laggingConsumers
        self.incompatibleMembers = incompatibleMembers
    }

    /// cache size / capacity; 0 when the capacity is unknown or zero.
    public var cacheUtilisation: Double {
        cacheCapacity > 0 ? Double(cacheSize) / Double(cacheCapacity) : 0
    }
}

/// Member counts by SWIM state.
public struct MembersByState: Sendable, Equatable {
    public var alive: Int
    public var suspect: Int
    public var dead: Int
    public var left: Int

    public init(alive: Int = 0, suspect: Int = 0, dead: Int = 0, left: Int = 0) {
        self.alive = alive
        self.suspect = suspect
        self.dead = dead
        self.left = left
    }
}
