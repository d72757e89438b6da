import ProtocolSupport

/// Parsers shared by every setting: durations (`500ms`, `1s`, `2m`), sizes (`64KiB`), counts, booleans,
/// addresses. Each throws a `ConfigurationError.invalidValue` naming the key.
enum ValueParsers {
    static func duration(_ text: String, key: String, source: SettingSource) throws(ConfigurationError) -> Duration {
        let units: [(suffix: String, nanos: Double)] = [
            ("ns", 1), ("us", 1e3), ("µs", 1e3), ("ms", 1e6), ("s", 1e9), ("m", 60e9), ("h", 3600e9),
        ]
        let t = text.trimmed
        for (suffix, nanos) in units where t.hasSuffix(suffix) {
            let number = t.dropLast(suffix.count)
            // "ms" also ends with "s": only accept when what is left is a number.
            if let value = Double(number), value >= 0, value.isFinite {
                return .nanoseconds(Int64(clamping: Int64((value * nanos).rounded())))
            }
        }
        throw .invalidValue(key: key, value: text, expected: "a duration such as 500ms, 1s or 2m", source: source)
    }

    static func integer(_ text: String, key: String, range: ClosedRange<Int>, source: SettingSource) throws(ConfigurationError) -> Int {
        guard let value = Int(text.trimmed), range.contains(value) else {
            throw .invalidValue(key: key, value: text, expected: "an integer in \(range.lowerBound)...\(range.upperBound)", source: source)
        }
        return value
    }

    static func fraction(_ text: String, key: String, source: SettingSource) throws(ConfigurationError) -> Double {
        guard let value = Double(text.trimmed), value >= 0, value <= 1 else {
            throw .invalidValue(key: key, value: text, expected: "a number between 0 and 1", source: source)
        }
        return value
    }

    static func bytes(_ text: String, key: String, range: ClosedRange<Int>, source: SettingSource) throws(ConfigurationError) -> Int {
        let t = text.trimmed
        let units: [(String, Int)] = [("KiB", 1024), ("MiB", 1024 * 1024), ("KB", 1000), ("MB", 1_000_000), ("B", 1)]
        var value: Int?
        for (suffix, multiplier) in units where t.hasSuffix(suffix) {
            if let n = Int(String(t.dropLast(suffix.count)).trimmed) {
                let (product, overflow) = n.multipliedReportingOverflow(by: multiplier)
                value = overflow ? nil : product
            }
            break
        }
        if value == nil { value = Int(t) }
        guard let value, range.contains(value) else {
            throw .invalidValue(key: key, value: text, expected: "a size in bytes (e.g. 65536 or 64KiB) in \(range.lowerBound)...\(range.upperBound)", source: source)
        }
        return value
    }

    static func boolean(_ text: String, key: String, source: SettingSource) throws(ConfigurationError) -> Bool {
        switch text.trimmed.lowercased() {
        case "true", "yes", "on", "1": return true
        case "false", "no", "off", "0": return false
        default: throw .invalidValue(key: key, value: text, expected: "true or false", source: source)
        }
    }

    static func address(_ text: String, key: String, source: SettingSource) throws(ConfigurationError) -> SocketAddress {
        do {
            return try SocketAddress(parsing: text.trimmed)
        } catch {
            throw .invalidValue(key: key, value: text, expected: "HOST:PORT with an IP literal (\(error))", source: source)
        }
    }

    static func choice(_ text: String, key: String, among choices: [String], source: SettingSource) throws(ConfigurationError) -> String {
        let t = text.trimmed.lowercased()
        guard choices.contains(t) else {
            throw .invalidValue(key: key, value: text, expected: "one of " + choices.joined(separator: ", "), source: source)
        }
        return t
    }
}
