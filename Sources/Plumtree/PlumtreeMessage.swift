import ProtocolSupport

/// One Plumtree protocol message, as it travels between two nodes inside a ``PlumtreeEnvelope``.
///
/// Wire format (version 1, all integers big-endian): a type byte, then the body.
/// See docs/PROTOCOL.md, section "Plumtree", for the byte layout of every body.
public enum PlumtreeMessage: Equatable, Sendable {
    /// A payload, pushed along eager links, in answer to a Graft, or in answer to an anti-entropy pull.
    case gossip(Gossip)
    /// Ids (with the round a payload would have through the sender) the sender holds: lazy push.
    case ihave([Announcement])
    /// "Make me eager again", and when `id` is set, "send me that payload".
    case graft(id: MessageID?, round: UInt16)
    /// "Stop pushing payloads to me": the sender moves the receiver to its lazy set.
    case prune
    /// "I added you to my overlay", as an eager or a lazy neighbour; the receiver mirrors it.
    case neighbor(eager: Bool)
    /// "I removed you from my overlay"; the receiver does the same.
    case disconnect
    /// "I hold you as a neighbour now", the answer to a Neighbor. A node that receives it from a peer it
    /// does not hold answers Disconnect: its Neighbor was overtaken by its own later Disconnect.
    case neighborAccepted
    /// Anti-entropy: ids of messages the sender holds in its cache.
    case digest([MessageID])
    /// Anti-entropy: ids from a digest the sender is missing; the receiver answers with Gossip.
    case pull([MessageID])
    /// Version 2: "tell me your neighbours", to draw the broadcast tree; `id` comes back in the answer.
    case treeQuery(id: UInt32)
    /// Version 2: the answer to a tree query, the sender's eager and lazy neighbours (each list at most
    /// ``maxTreeNeighbours`` names).
    case treeReport(id: UInt32, eager: [String], lazy: [String])

    /// Most ids one IHave carries.
    public static let maxIDsPerIHave = 64
    /// Most ids one digest or pull carries.
    public static let maxIDsPerDigest = 1_024
    /// Longest node name (origin or sender), in UTF-8 bytes.
    public static let maxNameBytes = 255
    /// Most names in each list of a tree report.
    public static let maxTreeNeighbours = 255

    /// Type bytes on the wire.
    enum Kind: UInt8 {
        case gossip = 1, ihave = 2, graft = 3, prune = 4, neighbor = 5, disconnect = 6, digest = 7, pull = 8
        case neighborAccepted = 9
        case treeQuery = 10, treeReport = 11
    }

    /// A payload message.
    public struct Gossip: Equatable, Sendable {
        public var id: MessageID
        /// Hops the payload has travelled when it reaches the receiver (1 when sent by the origin).
        public var round: UInt16
        /// The node that broadcast it.
        public var origin: String
        /// Set on payloads sent in answer to a Graft or an anti-entropy pull, and on their onward copies: they
        /// repair, they do not shape the tree (no duplicate of one prunes, no receipt of one promotes).
        public var isRepair: Bool
        /// Opaque trace context (e.g. W3C traceparent) the origin attached, if any.
        public var traceContext: [UInt8]?
        /// On a repair payload: how long the message had been in the caches when it was sent (the sender's
        /// own age of it), whole milliseconds; the receiver's copy is that old already. Zero otherwise.
        public var age: Duration
        public var payload: [UInt8]

        public init(
            id: MessageID, round: UInt16, origin: String, isRepair: Bool = false, traceContext: [UInt8]? = nil,
            age: Duration = .zero, payload: [UInt8]
        ) {
            self.id = id
            self.round = round
            self.origin = origin
            self.isRepair = isRepair
            self.traceContext = traceContext
            self.age = isRepair ? age : .zero
            self.payload = payload
        }
    }

    /// One id announced in an IHave, with the round a payload would have if fetched from the announcer.
    public struct Announcement: Equatable, Sendable {
        public var id: MessageID
        public var round: UInt16

        public init(id: MessageID, round: UInt16) {
            self.id = id
            self.round = round
        }
    }
}

extension PlumtreeMessage.Gossip {
    /// `age` as the wire carries it: whole milliseconds, at most `UInt32.max` (49 days).
    static func wireAge(_ age: Duration) -> UInt32 {
        UInt32(clamping: max(0, age.nanosecondsClamped / 1_000_000))
    }
}

/// Gossip flag bits.
enum GossipFlags {
    static let hasTrace: UInt8 = 0x01
    static let isRepair: UInt8 = 0x02
    static let known: UInt8 = hasTrace | isRepair
}

/// Why bytes were refused as a Plumtree envelope or message. Each case names what was wrong; ``reason`` is
/// the label value under which the refusal is counted (`plumtree_messages_refused_total{reason=...}`).
public enum PlumtreeDecodeError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The first byte is not ``PlumtreeEnvelope/marker``: not a Plumtree message at all.
    case notPlumtree(firstByte: UInt8?)
    /// The envelope's version is not one this node speaks.
    case unsupportedVersion(UInt8)
    /// The bytes end before a field does.
    case truncated(field: String, needed: Int, available: Int)
    /// The sender's name in the envelope is empty or not UTF-8.
    case invalidSender
    /// The origin's name in a Gossip is empty or not UTF-8.
    case invalidOrigin
    /// The type byte names no Plumtree message.
    case unknownMessageType(UInt8)
    /// A list is empty or longer than the wire allows.
    case invalidCount(field: String, count: Int, limit: Int)
    /// A field is larger than this node's configuration allows.
    case tooLarge(field: String, size: Int, limit: Int)
    /// Flag bits this version does not define are set.
    case invalidFlags(UInt8)
    /// A Gossip claims round 0, which only the origin's own copy has.
    case invalidRound
    /// Bytes remain after the message ended.
    case trailingBytes(Int)
    /// The envelope names this node as its sender: a loop or a forgery.
    case fromSelf
    /// A node name in a tree report is empty or not UTF-8.
    case invalidName(field: String)

    /// The metric label value for this refusal.
    public var reason: String {
        switch self {
        case .notPlumtree: "not_plumtree"
        case .unsupportedVersion: "unsupported_version"
        case .truncated: "truncated"
        case .invalidSender: "invalid_sender"
        case .invalidOrigin: "invalid_origin"
        case .unknownMessageType: "unknown_type"
        case .invalidCount: "invalid_count"
        case .tooLarge: "too_large"
        case .invalidFlags: "invalid_flags"
        case .invalidRound: "invalid_round"
        case .trailingBytes: "trailing_bytes"
        case .fromSelf: "from_self"
        case .invalidName: "invalid_name"
        }
    }

    public var description: String {
        switch self {
        case .notPlumtree(let byte):
            "not a Plumtree message: first byte \(byte.map { String($0) } ?? "missing"), expected \(PlumtreeEnvelope.marker)"
        case .unsupportedVersion(let version):
            "Plumtree envelope version \(version) is not one this node speaks (see its plumtree tag); upgrade through a release that speaks both"
        case .truncated(let field, let needed, let available):
            "Plumtree message truncated in \(field): needs \(needed) more bytes, \(available) left"
        case .invalidSender: "Plumtree envelope sender name is empty or not UTF-8"
        case .invalidOrigin: "Plumtree Gossip origin name is empty or not UTF-8"
        case .unknownMessageType(let type): "unknown Plumtree message type \(type)"
        case .invalidCount(let field, let count, let limit): "\(field) holds \(count) entries; allowed 1...\(limit)"
        case .tooLarge(let field, let size, let limit): "\(field) is \(size) bytes; the limit is \(limit) (max_message_size)"
        case .invalidFlags(let flags): "Plumtree Gossip flags \(flags) set undefined bits"
        case .invalidRound: "Plumtree Gossip round 0 is invalid: a received payload has travelled at least one hop"
        case .trailingBytes(let count): "\(count) unexpected bytes after the Plumtree message"
        case .fromSelf: "Plumtree message claims to come from this node itself"
        case .invalidName(let field): "a node name in \(field) is empty or not UTF-8"
        }
    }
}
