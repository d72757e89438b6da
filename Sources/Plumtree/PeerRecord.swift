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
    /// The protocol version spoken with it: the highest both sides speak (``PlumtreeVersions/negotiate``).
    var version: UInt8 = 1
    /// Added to the overlay, and the Neighbor telling it so not sent yet (see `announceNeighbours`).
    var announcePending = false
    /// Announcements waiting for the next IHave to this peer.
    var queue: [PlumtreeMessage.Announcement] = []
    /// Token bucket for the Grafts this peer may make us answer.
    var graftTokens: Double
    var tokensAt: Instant
    /// Where the digests offered to this peer go on (see `offerDigest`).
    var digestWalk: DigestWalk?

    init(name: String, graftBurst: Double, now: Instant) {
        self.name = name
        self.graftTokens = graftBurst
        self.tokensAt = now
    }
}

/// A walk of digests through the cache for one peer: a Pull from the peer is answered with the walk's next
/// window. Each peer has its own, so that walks running at once for different peers do not advance one
/// shared position and skip each other's windows. A forward walk wraps around the cache; a backward walk
/// (a member that came back, newest first) ends at the cache's oldest entry.
struct DigestWalk {
    var next: UInt64
    var backward: Bool
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
