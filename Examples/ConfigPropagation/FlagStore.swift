/// Feature flags replicated by gossip: last writer wins, by (version, origin).
///
/// Every update carries a Lamport version: a node that sets a flag uses one more than the highest version
/// it has seen, so a later decision anywhere in the cluster wins everywhere, whatever order the messages
/// arrive in.
struct FlagStore {
    struct Entry: Equatable {
        var value: String
        var version: UInt64
        var origin: String
    }

    private(set) var flags: [String: Entry] = [:]
    private(set) var highestVersion: UInt64 = 0

    /// Applies an update; true when it changed the table.
    mutating func apply(_ update: FlagUpdate) -> Bool {
        highestVersion = max(highestVersion, update.version)
        if let current = flags[update.key],
           (current.version, current.origin) >= (update.version, update.origin) {
            return false
        }
        flags[update.key] = Entry(value: update.value, version: update.version, origin: update.origin)
        return true
    }

    /// A local decision: the next version.
    mutating func set(_ key: String, _ value: String, origin: String) -> FlagUpdate {
        let update = FlagUpdate(key: key, value: value, version: highestVersion + 1, origin: origin)
        _ = apply(update)
        return update
    }

    var summary: String {
        flags.keys.sorted().map { key in
            let entry = flags[key]!
            return "\(key)=\(entry.value) (v\(entry.version) from \(entry.origin))"
        }.joined(separator: ", ")
    }
}

/// One flag change on the wire: `key=value@version@origin`, UTF-8.
struct FlagUpdate: Equatable {
    var key: String
    var value: String
    var version: UInt64
    var origin: String

    var encoded: [UInt8] { Array("\(key)=\(value)@\(version)@\(origin)".utf8) }

    init(key: String, value: String, version: UInt64, origin: String) {
        self.key = key
        self.value = value
        self.version = version
        self.origin = origin
    }

    /// nil for anything that is not a flag update (other applications may share the cluster).
    init?(decoding bytes: [UInt8]) {
        guard let text = String(validating: bytes, as: UTF8.self) else { return nil }
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 3, let version = UInt64(parts[1]), !parts[2].isEmpty,
              let equals = parts[0].firstIndex(of: "="), equals != parts[0].startIndex else { return nil }
        key = String(parts[0][..<equals])
        value = String(parts[0][parts[0].index(after: equals)...])
        self.version = version
        origin = String(parts[2])
    }
}
