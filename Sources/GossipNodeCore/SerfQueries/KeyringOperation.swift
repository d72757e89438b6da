import MemberlistWire

/// A change to, or a look at, the keyring of every member: what `serf keys` does, through the same serf
/// queries (`_serf_install-key`, `_serf_use-key`, `_serf_remove-key`, `_serf_list-keys`), so serf agents
/// and gossip nodes in one cluster rotate together.
///
/// A rotation without downtime: install the new key everywhere, use it everywhere, then remove the old one.
public enum KeyringOperation: Sendable, Equatable, CustomStringConvertible {
    case install([UInt8])
    case use([UInt8])
    case remove([UInt8])
    case list

    /// serf's internal query name.
    public var queryName: String {
        switch self {
        case .install: "_serf_install-key"
        case .use: "_serf_use-key"
        case .remove: "_serf_remove-key"
        case .list: "_serf_list-keys"
        }
    }

    /// The verb, as a metric label and in logs.
    public var verb: String {
        switch self {
        case .install: "install"
        case .use: "use"
        case .remove: "remove"
        case .list: "list"
        }
    }

    /// Reads serf's query name; nil for any other query.
    init?(queryName: String, key: [UInt8]) {
        guard let operation = [Self.install(key), .use(key), .remove(key), .list].first(where: { $0.queryName == queryName })
        else { return nil }
        self = operation
    }

    /// The key the operation acts on; nil for ``list``.
    public var key: [UInt8]? {
        switch self {
        case .install(let key), .use(let key), .remove(let key): key
        case .list: nil
        }
    }

    /// The verb and the key's fingerprint, never the key: a description ends up in logs and error messages.
    public var description: String {
        guard let key else { return verb }
        return "\(verb) key \(KeyFingerprint.of(key))"
    }
}

/// One member's answer to a keyring operation.
public struct KeyringAnswer: Sendable, Equatable {
    public var member: String
    public var succeeded: Bool
    /// Why it failed (as the member put it), or a note.
    public var message: String
    /// For ``KeyringOperation/list``: the member's keys, base64, its primary first.
    public var keys: [String]
    /// For ``KeyringOperation/list``: the member's primary key, base64 (empty from serf before 0.9).
    public var primaryKey: String

    public init(member: String, succeeded: Bool, message: String = "", keys: [String] = [], primaryKey: String = "") {
        self.member = member
        self.succeeded = succeeded
        self.message = message
        self.keys = keys
        self.primaryKey = primaryKey
    }
}

/// What became of a keyring operation across the cluster, as `serf keys` reports it: how many members
/// there were, which answered, which failed and why.
public struct KeyringReport: Sendable, Equatable {
    public var operation: KeyringOperation
    /// The live members when the operation started, this node included (serf's `NumNodes`).
    public var members: Int
    /// Every answer, in member name order.
    public var answers: [KeyringAnswer]

    public init(operation: KeyringOperation, members: Int, answers: [KeyringAnswer]) {
        self.operation = operation
        self.members = members
        self.answers = answers.sorted { $0.member < $1.member }
    }

    /// The answers that reported a failure.
    public var failures: [KeyringAnswer] { answers.filter { !$0.succeeded } }
    /// Members that did not answer before the query's timeout.
    public var unanswered: Int { max(0, members - answers.count) }
    /// Every member answered, and none failed.
    public var succeeded: Bool { failures.isEmpty && unanswered == 0 }

    /// For ``KeyringOperation/list``: how many members hold each key (base64).
    public var keyCounts: [String: Int] {
        var counts: [String: Int] = [:]
        for answer in answers { for key in answer.keys { counts[key, default: 0] += 1 } }
        return counts
    }

    /// For ``KeyringOperation/list``: how many members use each key as primary (base64).
    public var primaryKeyCounts: [String: Int] {
        var counts: [String: Int] = [:]
        for answer in answers where !answer.primaryKey.isEmpty { counts[answer.primaryKey, default: 0] += 1 }
        return counts
    }
}

/// A change this node made to its own keyring, asked by a query from `requestedBy` (nil: this node's own
/// operation): for the log and the keyring metric.
package struct KeyringChange: Sendable, Equatable {
    package var operation: KeyringOperation
    package var requestedBy: String?
    /// nil when it was applied, else why not.
    package var failure: String?
}
