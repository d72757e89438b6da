/// Durations written as the config file takes them (`1ms`, `30s`, `24h`), so that a range named in an
/// error can be copied back into the file as it is.
package enum DurationText {
    package static func format(_ duration: Duration) -> String {
        let nanoseconds = duration.nanosecondsClamped
        if nanoseconds == 0 { return "0s" }
        // The largest unit that divides the value exactly, so nothing is rounded away.
        let units: [(String, Int64)] = [("h", 3_600_000_000_000), ("m", 60_000_000_000), ("s", 1_000_000_000),
                                        ("ms", 1_000_000), ("us", 1_000), ("ns", 1)]
        for (suffix, size) in units where nanoseconds % size == 0 {
            return "\(nanoseconds / size)\(suffix)"
        }
        return "\(nanoseconds)ns"
    }

    package static func range(_ range: ClosedRange<Duration>) -> String {
        format(range.lowerBound) + "..." + format(range.upperBound)
    }
}
