import ProtocolSupport

/// A parent swap the tree optimization is considering: `announcer` announced messages with a round at
/// least the threshold lower than the one they came with from `parent`, `confirmations` times in a row.
///
/// Slots are reused once a peer is released, so the names are kept to tell a reused slot from the peer
/// the count is about.
struct OptimizationCandidate: Equatable {
    /// Pairs followed at once per node: a neighbour count's worth, so state stays small and bounded.
    static let maxTracked = 8

    var announcer: Int
    var announcerName: String
    var parent: Int
    var parentName: String
    /// Qualifying messages in a row on which the announcer beat the parent by the threshold.
    var confirmations: Int
    /// The last message counted: one message announced twice counts once.
    var lastID: MessageID
    /// When the last confirmation was counted; an older count is forgotten after the cache TTL.
    var lastAt: Instant

    /// Whether the candidate compares this announcer with this parent.
    func concerns(announcer: Int, _ announcerName: String, parent: Int, _ parentName: String) -> Bool {
        self.announcer == announcer && self.parent == parent
            && self.announcerName == announcerName && self.parentName == parentName
    }
}
