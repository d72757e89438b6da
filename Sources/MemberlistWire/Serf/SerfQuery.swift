// serf's query (messageQuery in serf messages.go): `[4]` then msgpack. serf gossips it as a memberlist
// broadcast; every member that has not seen it rebroadcasts it, answers the asker directly over UDP, and
// internal queries (`_serf_*`) are how `serf keys` rotates the keyring of every member.

/// One serf query. The fields are serf's, in serf's meaning; `sourceNode` is sent by serf 0.9+ only.
public struct SerfQuery: Hashable, Sendable {
    /// Ask every member that processes the query to acknowledge it at once.
    public static let flagAck: UInt32 = 1
    /// The receiver answers but does not gossip the query further.
    public static let flagNoBroadcast: UInt32 = 2
    /// The prefix of serf's own queries, which serf answers itself.
    public static let internalPrefix = "_serf_"
    /// serf's limits on what it sends (`QuerySizeLimit`, `QueryResponseSizeLimit`); the same bound refuses
    /// larger ones here.
    public static let sizeLimit = 1024

    /// The query's Lamport time: with `id`, what identifies it.
    public var ltime: UInt64
    public var id: UInt32
    /// Where to answer: the asker's IP (4 or 16 bytes) and port.
    public var address: [UInt8]
    public var port: UInt16
    public var sourceNode: String
    /// Each filter is serf's encoded filter (``SerfQueryFilter``).
    public var filters: [[UInt8]]
    public var flags: UInt32
    /// How many other members should also relay each answer (serf's `RelayFactor`).
    public var relayFactor: UInt8
    /// How long the asker waits for answers, in nanoseconds (Go's time.Duration).
    public var timeoutNanoseconds: Int64
    public var name: String
    public var payload: [UInt8]

    public init(ltime: UInt64, id: UInt32, address: [UInt8], port: UInt16, sourceNode: String,
                filters: [[UInt8]] = [], flags: UInt32 = 0, relayFactor: UInt8 = 0,
                timeoutNanoseconds: Int64, name: String, payload: [UInt8] = []) {
        self.ltime = ltime
        self.id = id
        self.address = address
        self.port = port
        self.sourceNode = sourceNode
        self.filters = filters
        self.flags = flags
        self.relayFactor = relayFactor
        self.timeoutNanoseconds = timeoutNanoseconds
        self.name = name
        self.payload = payload
    }

    public var wantsAck: Bool { flags & Self.flagAck != 0 }
    public var rebroadcasts: Bool { flags & Self.flagNoBroadcast == 0 }
    public var isInternal: Bool { name.hasPrefix(Self.internalPrefix) }

    /// The serf message (`[4]{...}`), the payload of a memberlist user message.
    public func encoded() -> [UInt8] {
        var w = MsgpackWriter(prefix: [SerfMessageKind.query])
        w.writeMapHeader(count: 11)
        w.writeKey("Addr"); w.writeBytes(address)
        w.writeKey("Filters")
        if filters.isEmpty {
            w.writeNil()
        } else {
            w.writeArrayHeader(count: filters.count)
            for filter in filters { w.writeRawBytes(filter) }
        }
        w.writeKey("Flags"); w.writeUInt(UInt64(flags))
        w.writeKey("ID"); w.writeUInt(UInt64(id))
        w.writeKey("LTime"); w.writeUInt(ltime)
        w.writeKey("Name"); w.writeString(name)
        w.writeKey("Payload"); w.writeBytes(payload)
        w.writeKey("Port"); w.writeUInt(UInt64(port))
        w.writeKey("RelayFactor"); w.writeUInt(UInt64(relayFactor))
        w.writeKey("SourceNode"); w.writeString(sourceNode)
        w.writeKey("Timeout"); w.writeInt(timeoutNanoseconds)
        return w.bytes
    }

    /// Reads a query from a user message payload (starting with serf's type byte 4).
    public init(decoding payload: [UInt8]) throws(WireError) {
        guard payload.first == SerfMessageKind.query else { throw WireError(.unexpectedType, "not a serf query") }
        guard payload.count <= Self.sizeLimit * 64 else {
            throw WireError(.tooLarge, "serf query of \(payload.count) bytes")
        }
        var r = MsgpackReader(payload, start: 1)
        self.init(ltime: 0, id: 0, address: [], port: 0, sourceNode: "", timeoutNanoseconds: 0, name: "")
        for _ in 0..<(try r.readMapCount()) {
            let k = try r.readKey()
            if r.key(k, is: "LTime") { ltime = try r.readUInt(max: .max) }
            else if r.key(k, is: "ID") { id = UInt32(try r.readUInt(max: UInt64(UInt32.max))) }
            else if r.key(k, is: "Addr") { address = try r.readBytes() }
            else if r.key(k, is: "Port") { port = UInt16(try r.readUInt(max: UInt64(UInt16.max))) }
            else if r.key(k, is: "SourceNode") { sourceNode = try r.readString() }
            else if r.key(k, is: "Filters") {
                let count = try r.readArrayCount()
                filters = []
                for _ in 0..<count { filters.append(try r.readBytes()) }
            }
            else if r.key(k, is: "Flags") { flags = UInt32(try r.readUInt(max: UInt64(UInt32.max))) }
            else if r.key(k, is: "RelayFactor") { relayFactor = UInt8(try r.readUInt(max: UInt64(UInt8.max))) }
            else if r.key(k, is: "Timeout") { timeoutNanoseconds = try r.readInteger() }
            else if r.key(k, is: "Name") { name = try r.readString() }
            else if r.key(k, is: "Payload") { self.payload = try r.readBytes() }
            else { try r.skipValue() }
        }
        guard r.isAtEnd else { throw WireError(.malformed, "\(r.remaining) bytes after the serf query") }
        guard address.count == 4 || address.count == 16 else {
            throw WireError(.malformed, "serf query answer address of \(address.count) bytes")
        }
    }
}

/// One of serf's query filters: `[type]` then msgpack. A member processes a query only if every filter
/// admits it, but gossips it on either way.
public enum SerfQueryFilter: Hashable, Sendable {
    /// Only the named members (filterNode, a list of names).
    case nodes([String])
    /// Only members whose tag `tag` matches the regular expression `expression` (filterTag).
    case tag(String, expression: String)

    public func encoded() -> [UInt8] {
        switch self {
        case .nodes(let names):
            var w = MsgpackWriter(prefix: [0])
            w.writeArrayHeader(count: names.count)
            for name in names { w.writeString(name) }
            return w.bytes
        case .tag(let tag, let expression):
            var w = MsgpackWriter(prefix: [1])
            w.writeMapHeader(count: 2)
            w.writeKey("Expr"); w.writeString(expression)
            w.writeKey("Tag"); w.writeString(tag)
            return w.bytes
        }
    }

    public init(decoding bytes: [UInt8]) throws(WireError) {
        guard let kind = bytes.first else { throw WireError(.truncated, "empty serf query filter") }
        var r = MsgpackReader(bytes, start: 1)
        switch kind {
        case 0:
            var names: [String] = []
            for _ in 0..<(try r.readArrayCount()) { names.append(try r.readString()) }
            self = .nodes(names)
        case 1:
            var tag = "", expression = ""
            for _ in 0..<(try r.readMapCount()) {
                let k = try r.readKey()
                if r.key(k, is: "Tag") { tag = try r.readString() }
                else if r.key(k, is: "Expr") { expression = try r.readString() }
                else { try r.skipValue() }
            }
            self = .tag(tag, expression: expression)
        default:
            throw WireError(.unknownType, "serf query filter type \(kind)")
        }
        guard r.isAtEnd else { throw WireError(.malformed, "\(r.remaining) bytes after the serf query filter") }
    }
}
