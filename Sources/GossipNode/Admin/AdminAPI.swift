#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The admin API's JSON documents, shared by the node that serves them and the clients that read them.
///
/// Routes: `GET /v1/members`, `POST /v1/broadcast` (body: the payload bytes), `POST /v1/leave`,
/// `POST /v1/keys/install`, `/v1/keys/use`, `/v1/keys/remove` (body: ``KeyRequest``), `GET /v1/keys`
/// (each answered with a ``KeyringReply``; all four need the token, as keys are secrets),
/// `GET /health` (see docs/MONITORING.md). With a token configured, the write routes need
/// `Authorization: Bearer TOKEN`. Off loopback a token is required, unless `admin_allow_unauthenticated`
/// is set: then the write routes are off (``AdminAccess``).
public enum AdminAPI {
    public struct Member: Codable, Sendable, Equatable {
        public var name: String
        public var address: String
        public var state: String
        public var incarnation: UInt32
        public var tags: [String: String]

        public init(name: String, address: String, state: String, incarnation: UInt32, tags: [String: String]) {
            self.name = name
            self.address = address
            self.state = state
            self.incarnation = incarnation
            self.tags = tags
        }
    }

    public struct MembersReply: Codable, Sendable { public var members: [Member] }
    public struct BroadcastReply: Codable, Sendable { public var id: String }
    public struct ErrorReply: Codable, Sendable { public var error: String }

    /// The key to install, use or remove: base64, as `gossip-node keygen` and `serf keygen` print it.
    public struct KeyRequest: Codable, Sendable {
        public var key: String
        public init(key: String) { self.key = key }
    }

    /// A keyring operation's outcome across the cluster, as `serf keys` reports it.
    public struct KeyringReply: Codable, Sendable, Equatable {
        public struct Failure: Codable, Sendable, Equatable {
            public var member: String
            public var message: String
        }
        /// install, use, remove or list.
        public var operation: String
        /// Every member answered and none failed.
        public var succeeded: Bool
        /// Live members when the operation started, this node included.
        public var members: Int
        /// Members that answered.
        public var answered: Int
        public var failures: [Failure]
        /// list: how many members hold each key, and use each as primary (base64 keys).
        public var keys: [String: Int]
        public var primaryKeys: [String: Int]

        public init(_ report: KeyringReport) {
            operation = report.operation.verb
            succeeded = report.succeeded
            members = report.members
            answered = report.answers.count
            failures = report.failures.map { Failure(member: $0.member, message: $0.message) }
            keys = report.keyCounts
            primaryKeys = report.primaryKeyCounts
        }
    }
}

/// Reading admin answers in the CLI without a schema for every field.
public enum AdminJSON {
    public static func members(_ body: [UInt8]) throws -> [AdminAPI.Member] {
        try JSONDecoder().decode(AdminAPI.MembersReply.self, from: Data(body)).members
    }

    public static func keyring(_ body: [UInt8]) throws -> AdminAPI.KeyringReply {
        try JSONDecoder().decode(AdminAPI.KeyringReply.self, from: Data(body))
    }

    public static func string(_ body: [UInt8], key: String) throws -> String? {
        let object = try JSONSerializationLite.object(body)
        return object[key] as? String
    }
}

/// Decodes a top-level JSON object whose interesting fields are strings or arrays of strings.
enum JSONSerializationLite {
    private struct AnyField: Decodable {
        let value: Any?
        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let string = try? container.decode(String.self) {
                value = string
            } else if let strings = try? container.decode([String].self) {
                value = strings
            } else {
                value = nil
            }
        }
    }

    static func object(_ body: [UInt8]) throws -> [String: Any] {
        let decoded = try JSONDecoder().decode([String: AnyField].self, from: Data(body))
        return decoded.compactMapValues(\.value)
    }
}
