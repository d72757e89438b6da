import ProtocolSupport

/// A peer's place in the overlay.
enum PeerRole {
    case none, eager, lazy
}

/// What the core knows about one peer.
struct PeerRecord {
    var name: String
    /// Membership reported it up with the `plumtree` tag (and not down since).
    var isMember = false
    var role = PeerRole.none
    /// Added to the overlay, and the Neighbor telling it so not sent yet (see `announceNeighbours`).
    var announcePending = false
    /// Announcements waiting for the next IHave to this peer.
    var queue: [PlumtreeMessage.Announcement] = []
    /// Token bucket for the Grafts this peer may make us answer.
    var graftTokens: Double
    var tokensAt: Instant

    init(name: String, graftBurst: Double, now: Instant) {
        self.name = name
        self.graftTokens = graftBurst
        self.tokensAt = now
    }
}

/// A message announced by IHave but not received yet.
struct MissingMessage {
    /// Who announced it and with which round, in arrival order.
    var announcers: [(peer: Int, round: UInt16)]
    /// Grafts sent so far.
    var attempts = 0
    /// When the next Graft goes out (and the key of its timer in the heap).
    var deadline: Instant
    /// When the first Graft went out, for the latency histogram.
    var firstGraftAt: Instant?

    /// Most announcers remembered per message; more add nothing but memory.
    static let maxAnnouncers = 16
}
