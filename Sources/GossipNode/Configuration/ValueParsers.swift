import ProtocolSupport

/// Parsers shared by every setting: durations (`500ms`, `1s`, `2m`), sizes (`64KiB`), counts, booleans,
/// addresses. Each throws a `ConfigurationError` naming the key: `invalidValue` for text that is not of the
/// kind, `outOfRange` for a well-formed value outside what the setting allows.
///
/// Nothing here may trap, whatever the text: a config file, the environment and flags are user input, and
/// a setting that crashes the agent is a denial of service by typo (`1e300s` used to end in SIGILL).
package enum ValueParsers {
    /// A duration in `range`. The arithmetic stays in `Double` until the range check has passed, so that
    /// a value too large for `Int64` nanoseconds is refused instead of trapping in the conversion.
    package static func duration(_ text: String, key: String, range: ClosedRange<Duration>,
                                 source: SettingSource) throws(ConfigurationError) -> Duration {
        let units: [(suffix: String, nanos: Double)] = [
            ("ns", 1), ("us", 1e3), ("µs", 1e3), ("ms", 1e6), ("s", 1e9), ("m", 60e9), ("h", 3600e9),
        ]
        let t = text.trimmed
        for (suffix, nanos) in units where t.hasSuffix(suffix) {
            let number = t.dropLast(suffix.count)
            // "ms" also ends with "s": only accept when what is left is a number. `Double` also reads "nan",
            // "inf" and hexadecimal floats; the finiteness checks below refuse the first two.
            guard let value = Double(number), value.isFinite else { continue }
            let nanoseconds = (value * nanos).rounded()
            let lower = Double(range.lowerBound.nanosecondsClamped), upper = Double(range.upperBound.nanosecondsClamped)
            guard nanoseconds.isFinite, nanoseconds >= lower, nanoseconds <= upper else {
                throw .outOfRange(key: key, value: text, allowed: DurationText.range(range), source: source)
            }
            // In range, so within Int64: `upper` came from an Int64.
            return .nanoseconds(Int64(nanoseconds))
        }
        throw .invalidValue(key: key, value: text, expected: "a duration such as 500ms, 1s or 2m", source: source)
    }

    package static func integer(_ text: String, key: String, range: ClosedRange<Int>,
                                source: SettingSource) throws(ConfigurationError) -> Int {
        guard let value = Int(text.trimmed) else {
            throw .invalidValue(key: key, value: text, expected: "an integer in \(range.lowerBound)...\(range.upperBound)", source: source)
        }
        guard range.contains(value) else {
            throw .outOfRange(key: key, value: text, allowed: "\(range.lowerBound)...\(range.upperBound)", source: source)
        }
        return value
    }

    package static func fraction(_ text: String, key: String, source: SettingSource) throws(ConfigurationError) -> Double {
        guard let value = Double(text.trimmed), value.isFinite else {
            throw .invalidValue(key: key, value: text, expected: "a number between 0 and 1", source: source)
        }
        guard value >= 0, value <= 1 else {
            throw .outOfRange(key: key, value: text, allowed: "0...1", source: source)
        }
        return value
    }

    package static func bytes(_ text: String, key: String, range: ClosedRange<Int>,
                              source: SettingSource) throws(ConfigurationError) -> Int {
        let t = text.trimmed
        let units: [(String, Int)] = [("KiB", 1024), ("MiB", 1024 * 1024), ("KB", 1000), ("MB", 1_000_000), ("B", 1)]
        var value: Int?
        var overflowed = false
        for (suffix, multiplier) in units where t.hasSuffix(suffix) {
            if let n = Int(String(t.dropLast(suffix.count)).trimmed) {
                let (product, overflow) = n.multipliedReportingOverflow(by: multiplier)
                value = overflow ? nil : product
                overflowed = overflow
            }
            break
        }
        if value == nil && !overflowed { value = Int(t) }
        let allowed = "\(range.lowerBound)...\(range.upperBound) bytes"
        if overflowed { throw .outOfRange(key: key, value: text, allowed: allowed, source: source) }
        guard let value else {
            throw .invalidValue(key: key, value: text, expected: "a size in bytes such as 65536 or 64KiB", source: source)
        }
        guard range.contains(value) else { throw .outOfRange(key: key, value: text, allowed: allowed, source: source) }
        return value
    }

    package static func boolean(_ text: String, key: String, source: SettingSource) throws(ConfigurationError) -> Bool {
        switch text.trimmed.lowercased() {
        case "true", "yes", "on", "1": return true
        case "false", "no", "off", "0": return false
        default: throw .invalidValue(key: key, value: text, expected: "true or false", source: source)
        }
    }

    /// A cluster label: 1 to 255 bytes of UTF-8 (memberlist's LabelMaxSize: its length is one byte on the
    /// wire), surrounding spaces dropped; empty means no label. Control characters are refused: the label
    /// is named in log lines and is a cluster's identity, never meant to hide anything.
    package static func clusterLabel(_ text: String, key: String, source: SettingSource) throws(ConfigurationError) -> String {
        let label = text.trimmed
        guard label.utf8.count <= 255, !label.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw .invalidValue(key: key, value: text, expected: "1 to 255 bytes of printable UTF-8, or empty for none", source: source)
        }
        return label
    }

    /// `HOST:PORT`: an IP literal, or a host name resolved now through the system resolver (its first
    /// IPv4 address, else its first IPv6 one).
    package static func address(_ text: String, key: String, source: SettingSource) throws(ConfigurationError) -> SocketAddress {
        let t = text.trimmed
        let literal: SocketAddressParseError
        do {
            return try SocketAddress(parsing: t)
        } catch {
            literal = error
        }
        // Not an IP literal: a host name with a valid port is resolved; anything else keeps the parser's reason.
        guard !t.hasPrefix("["), let colon = t.lastIndex(of: ":"), let port = UInt16(t[t.index(after: colon)...]) else {
            throw .invalidValue(key: key, value: text, expected: "HOST:PORT, HOST an IP address or a host name, PORT in 0...65535 (\(literal))", source: source)
        }
        let host = String(t[..<colon])
        guard !host.contains(":") else {
            throw .invalidValue(key: key, value: text, expected: "HOST:PORT, an IPv6 address in brackets ([::1]:7946) (\(literal))", source: source)
        }
        do {
            return try HostResolver.resolve(host, port: port)[0]
        } catch {
            throw .invalidValue(key: key, value: text, expected: "HOST:PORT with a host that resolves (\(error))", source: source)
        }
    }

    /// A seed to join, `HOST:PORT`: an IP literal (IPv6 in brackets), or a host name kept as a name. The
    /// name is not looked up here: the node resolves it at every join and every retry of its seeds, so a
    /// name that does not resolve yet is no error in the configuration.
    package static func seed(_ text: String, key: String, source: SettingSource) throws(ConfigurationError) -> Seed {
        do {
            return try Seed(parsing: text.trimmed)
        } catch {
            throw .invalidValue(key: key, value: text,
                                expected: "HOST:PORT, HOST an IPv4 address, an IPv6 address in brackets ([::1]:7946) or a host name, PORT in 0...65535 (\(error))",
                                source: source)
        }
    }

    package static func choice(_ text: String, key: String, among choices: [String],
                               source: SettingSource) throws(ConfigurationError) -> String {
        let t = text.trimmed.lowercased()
        guard choices.contains(t) else {
            throw .invalidValue(key: key, value: text, expected: "one of " + choices.joined(separator: ", "), source: source)
        }
        return t
    }
}
