// Another cluster sharing our addresses sends label_mismatch packets every probe and gossip round, for as
// long as both run: the counter says how many, the log needs to say it once. So each distinct foreign
// label is logged the first time only (both labels named), however many packets carry it, and the number
// of labels remembered is capped since a peer chooses them freely.

/// Which foreign cluster labels have been logged. Loop thread only.
struct LabelMismatchLog {
    /// Distinct remote labels remembered; past it, one last line says further ones go unlogged.
    static let maximumLabels = 64

    private(set) var seen: Set<String> = []
    private var overflowReported = false

    /// What to log for a mismatch carrying `remoteLabel` ("" for an unlabelled packet or stream).
    enum Decision: Equatable {
        /// The first time this label is seen: log it.
        case log
        /// The cap was just reached: log that new labels are no longer logged.
        case capReached
        /// Already logged (or past the cap): only the counter counts it.
        case silent
    }

    mutating func decide(remoteLabel: String) -> Decision {
        if seen.contains(remoteLabel) { return .silent }
        guard seen.count < Self.maximumLabels else {
            if overflowReported { return .silent }
            overflowReported = true
            return .capReached
        }
        seen.insert(remoteLabel)
        return .log
    }
}
