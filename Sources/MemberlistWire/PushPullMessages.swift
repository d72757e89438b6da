// The stream messages' headers and bodies: push/pull state exchange and reliable user messages.

/// `pushPullHeader`: follows the `[6]` type byte of a push/pull stream.
public struct PushPullHeader: WireMessage {
    public static let messageType = MessageType.pushPull
    /// How many ``PushNodeState`` maps follow.
    public var nodes: Int
    /// How many raw bytes of delegate (serf) state follow the node states.
    public var userStateLen: Int
    /// Whether this exchange is a join rather than periodic anti-entropy.
    public var join: Bool

    public init(nodes: Int = 0, userStateLen: Int = 0, join: Bool = false) {
        self.nodes = nodes
        self.userStateLen = userStateLen
        self.join = join
    }

    public func encodeBody(into w: inout MsgpackWriter) {
        w.writeMapHeader(count: 3)
        w.writeKey("Join"); w.writeBool(join)
        w.writeKey("Nodes"); w.writeInt(Int64(nodes))
        w.writeKey("UserStateLen"); w.writeInt(Int64(userStateLen))
    }

    public init(decodingBody r: inout MsgpackReader) throws(WireError) {
        self.init()
        for _ in 0..<(try r.readMapCount()) {
            let k = try r.readKey()
            if r.key(k, is: "Nodes") { nodes = try r.readCount() }
            else if r.key(k, is: "UserStateLen") { userStateLen = try r.readCount() }
            else if r.key(k, is: "Join") { join = try r.readBool() }
            else { try r.skipValue() }
        }
    }
}

/// One member's state in a push/pull exchange.
public struct PushNodeState: Hashable, Sendable {
    /// memberlist's NodeStateType.
    public enum State: UInt8, Sendable, CaseIterable {
        case alive = 0
        case suspect = 1
        case dead = 2
        case left = 3
    }

    public var name: String
    public var addr: [UInt8]
    public var port: UInt16
    public var meta: [UInt8]
    public var incarnation: UInt32
    public var state: State
    public var vsn: Vsn

    public init(name: String = "", addr: [UInt8] = [], port: UInt16 = 0, meta: [UInt8] = [], incarnation: UInt32 = 0, state: State = .alive, vsn: Vsn = .absent) {
        self.name = name
        self.addr = addr
        self.port = port
        self.meta = meta
        self.incarnation = incarnation
        self.state = state
        self.vsn = vsn
    }

    /// The msgpack map (no type byte: node states follow the header back to back).
    public func encodeBody(into w: inout MsgpackWriter) {
        w.writeMapHeader(count: 7)
        w.writeKey("Addr"); w.writeBytes(addr)
        w.writeKey("Incarnation"); w.writeUInt(UInt64(incarnation))
        w.writeKey("Meta"); w.writeBytes(meta)
        w.writeKey("Name"); w.writeString(name)
        w.writeKey("Port"); w.writeUInt(UInt64(port))
        w.writeKey("State"); w.writeUInt(UInt64(state.rawValue))
        w.writeKey("Vsn"); w.writeRawBytes(vsn.bytes)
    }

    /// Reads one node state map; a state other than 0...3 is refused.
    public init(decodingBody r: inout MsgpackReader) throws(WireError) {
        self.init()
        for _ in 0..<(try r.readMapCount()) {
            let k = try r.readKey()
            if r.key(k, is: "Name") { name = try r.readString() }
            else if r.key(k, is: "Addr") { addr = try r.readBytes() }
            else if r.key(k, is: "Port") { port = try r.readUInt16() }
            else if r.key(k, is: "Meta") { meta = try r.readBytes() }
            else if r.key(k, is: "Incarnation") { incarnation = try r.readUInt32() }
            else if r.key(k, is: "State") {
                let raw = try r.readInteger()
                guard let s = State(rawValue: UInt8(clamping: max(0, raw))), raw >= 0, raw <= 3 else {
                    throw WireError(.malformed, "node state \(raw) is not 0...3")
                }
                state = s
            }
            else if r.key(k, is: "Vsn") { vsn = try r.readVsn() }
            else { try r.skipValue() }
        }
    }
}

/// `userMsgHeader`: follows the `[8]` type byte of a user message on a stream; the payload follows it.
public struct UserMsgHeader: WireMessage {
    public static let messageType = MessageType.user
    public var userMsgLen: Int

    public init(userMsgLen: Int = 0) { self.userMsgLen = userMsgLen }

    public func encodeBody(into w: inout MsgpackWriter) {
        w.writeMapHeader(count: 1)
        w.writeKey("UserMsgLen"); w.writeInt(Int64(userMsgLen))
    }

    public init(decodingBody r: inout MsgpackReader) throws(WireError) {
        self.init()
        for _ in 0..<(try r.readMapCount()) {
            let k = try r.readKey()
            if r.key(k, is: "UserMsgLen") { userMsgLen = try r.readCount() } else { try r.skipValue() }
        }
    }
}

/// `compress` (type 9): `buf` is a whole message (with its type byte) compressed with `algo`.
public struct Compress: WireMessage {
    public static let messageType = MessageType.compress
    /// The only algorithm memberlist defines.
    public static let lzwAlgorithm: UInt8 = 0
    /// The algorithm; a value outside 0...255 on the wire reads as 255, which is refused like any non-LZW one.
    public var algo: UInt8
    public var buf: [UInt8]

    public init(algo: UInt8 = Compress.lzwAlgorithm, buf: [UInt8] = []) {
        self.algo = algo
        self.buf = buf
    }

    public func encodeBody(into w: inout MsgpackWriter) {
        w.writeMapHeader(count: 2)
        w.writeKey("Algo"); w.writeUInt(UInt64(algo))
        w.writeKey("Buf"); w.writeBytes(buf)
    }

    public init(decodingBody r: inout MsgpackReader) throws(WireError) {
        self.init()
        for _ in 0..<(try r.readMapCount()) {
            let k = try r.readKey()
            if r.key(k, is: "Algo") {
                // Go's compressionType is an int: any value decodes, an unknown one is refused later.
                let v = try r.readInteger()
                algo = (0...255).contains(v) ? UInt8(v) : 255
            }
            else if r.key(k, is: "Buf") { buf = try r.readBytes() }
            else { try r.skipValue() }
        }
    }
}

/// A whole push/pull exchange: what one side sends on the stream.
public struct PushPull: Hashable, Sendable {
    public var join: Bool
    public var nodes: [PushNodeState]
    /// The delegate's (serf's) state; empty means none.
    public var userState: [UInt8]

    public init(join: Bool = false, nodes: [PushNodeState] = [], userState: [UInt8] = []) {
        self.join = join
        self.nodes = nodes
        self.userState = userState
    }

    /// The header that announces this exchange.
    public var header: PushPullHeader {
        PushPullHeader(nodes: nodes.count, userStateLen: userState.count, join: join)
    }
}
