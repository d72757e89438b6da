/// The Plumtree protocol versions, and how a node announces the range it speaks in its `plumtree` tag:
/// `"1"` (the one version, which is also what nodes before negotiation announce) or `"1-2"` (lowest and
/// highest).
///
/// Version 2 adds the tree messages (TreeQuery, TreeReport: a node asks its members for their neighbours,
/// to draw the broadcast tree); every version 1 message is unchanged. A node sends them only to members it
/// speaks version 2 with, so a node of version 1 never receives a message type it does not know.
public enum PlumtreeVersions {
    /// Every version this build can speak.
    public static let known: ClosedRange<UInt8> = 1...2

    /// The tag value announcing `range`.
    public static func tagValue(_ range: ClosedRange<UInt8>) -> String {
        range.lowerBound == range.upperBound ? "\(range.lowerBound)" : "\(range.lowerBound)-\(range.upperBound)"
    }

    /// Reads a tag value: `N` or `LOW-HIGH`, each 1...255, LOW ≤ HIGH; nil for anything else.
    public static func parse(_ text: String) -> ClosedRange<UInt8>? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let low = UInt8(parts[0]), low >= 1 else { return nil }
        guard parts.count == 2 else { return low...low }
        guard let high = UInt8(parts[1]), high >= low else { return nil }
        return low...high
    }

    /// The version two ranges speak together: the highest in both; nil when they do not meet.
    public static func negotiate(_ local: ClosedRange<UInt8>, _ remote: ClosedRange<UInt8>) -> UInt8? {
        let high = min(local.upperBound, remote.upperBound)
        return high >= max(local.lowerBound, remote.lowerBound) ? high : nil
    }
}
