/// The Plumtree protocol versions, and how a node announces the range it speaks in its `plumtree` tag:
/// `"1"` (the one version, which is also what nodes before negotiation announce) or `"1-2"` (lowest and
/// highest).
///
/// Version 2's messages are version 1's; only the envelope's version byte differs. It exists so that the
/// negotiation is exercised, in tests and in rolling upgrades, before a change of the message format has to
/// rely on it: the next such change takes the next version, and nodes that do not speak it keep talking in
/// the highest version both sides share.
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
