#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The admin API's JSON documents, shared by the node that serves them and the clients that read them.
///
/// Routes: `GET /v1/members`, `POST /v1/broadcast` (body: the payload bytes), `POST /v1/leave`,
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
}

/// Reading admin answers in the CLI without a schema for every field.
public enum AdminJSON {
    public static func members(_ body: [UInt8]) throws -> [AdminAPI.Member] {
        try JSONDecoder().decode(AdminAPI.MembersReply.self, from: Data(body)).members
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
