/// A setting's value as a source gave it, before it is parsed: from a flag, an environment variable or a
/// configuration file. Parsing is the same whatever the source, so `--probe-interval 2s`,
/// `GOSSIP_MEMBERSHIP_PROBE_INTERVAL=2s` and `probe_interval: 2s` under `membership:` mean the same.
public enum RawSetting: Sendable, Equatable {
    case scalar(String)
    case list([String])
    case map([(key: String, value: String)])

    public static func == (lhs: RawSetting, rhs: RawSetting) -> Bool {
        switch (lhs, rhs) {
        case (.scalar(let a), .scalar(let b)): return a == b
        case (.list(let a), .list(let b)): return a == b
        case (.map(let a), .map(let b)): return a.map(\.key) == b.map(\.key) && a.map(\.value) == b.map(\.value)
        default: return false
        }
    }

    /// The value as a list: a scalar is split on commas (how lists are written in environment variables).
    var asList: [String] {
        switch self {
        case .scalar(let text):
            return text.split(separator: ",").map { String($0).trimmed }.filter { !$0.isEmpty }
        case .list(let items): return items
        case .map(let pairs): return pairs.map { "\($0.key)=\($0.value)" }
        }
    }

    /// The value as key/value pairs: `k=v` items of a list or of a comma-separated scalar.
    func asPairs(key: String, source: SettingSource) throws(ConfigurationError) -> [(key: String, value: String)] {
        if case .map(let pairs) = self { return pairs }
        var pairs: [(key: String, value: String)] = []
        for item in asList {
            guard let equals = item.firstIndex(of: "="), equals != item.startIndex else {
                throw .invalidValue(key: key, value: item, expected: "KEY=VALUE", source: source)
            }
            pairs.append((String(item[..<equals]), String(item[item.index(after: equals)...])))
        }
        return pairs
    }
}

/// Where a setting came from; named in every error so the operator knows what to fix.
public enum SettingSource: Sendable, Equatable, CustomStringConvertible {
    case flag
    case environment(String)
    case file(String)

    public var description: String {
        switch self {
        case .flag: return "command line"
        case .environment(let variable): return "environment variable \(variable)"
        case .file(let path): return "config file \(path)"
        }
    }
}

/// A configuration refused, naming the key, the value and what was expected.
public enum ConfigurationError: Error, Equatable, CustomStringConvertible {
    case unknownKey(key: String, source: SettingSource)
    /// The text is not of the setting's kind (not a duration, not an address...).
    case invalidValue(key: String, value: String, expected: String, source: SettingSource)
    /// The value is of the right kind but outside what the setting allows; `allowed` is the range, written
    /// as the setting takes it (`1ms...1h`, `1...64`).
    case outOfRange(key: String, value: String, allowed: String, source: SettingSource)
    case unreadableFile(path: String, reason: String)
    case missing(key: String, hint: String)

    public var description: String {
        switch self {
        case .unknownKey(let key, let source):
            return "unknown setting '\(key)' in \(source): check its spelling (`gossip-node settings` lists every setting with its defaults)"
        case .invalidValue(let key, let value, let expected, let source):
            return "invalid value '\(value)' for '\(key)' in \(source): expected \(expected)"
        case .outOfRange(let key, let value, let allowed, let source):
            return "value '\(value)' for '\(key)' in \(source) is out of range: use a value in \(allowed)"
        case .unreadableFile(let path, let reason):
            return "cannot read config file \(path): \(reason)"
        case .missing(let key, let hint):
            return "missing setting '\(key)': \(hint)"
        }
    }
}

extension String {
    var trimmed: String {
        var s = Substring(self)
        while let first = s.first, first.isWhitespace { s = s.dropFirst() }
        while let last = s.last, last.isWhitespace { s = s.dropLast() }
        return String(s)
    }
}
