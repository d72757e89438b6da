// The gossiped facts about members: suspect, alive, dead.

/// `suspect` (type 3): `from` suspects `node` at `incarnation`.
public struct Suspect: WireMessage {
    public static let messageType = MessageType.suspect
    public var incarnation: UInt32
    public var node: String
    public var from: String

    public init(incarnation: UInt32 = 0, node: String = "", from: String = "") {
        self.incarnation = incarnation
        self.node = node
        self.from = from
    }

    public func encodeBody(into w: inout MsgpackWriter) {
        encodeIncarnationNodeFrom(incarnation, node, from, into: &w)
    }

    public init(decodingBody r: inout MsgpackReader) throws(WireError) {
        (incarnation, node, from) = try decodeIncarnationNodeFrom(&r)
    }
}

/// `dead` (type 5). With `from == node` it is a graceful leave.
public struct Dead: WireMessage {
    public static let messageType = MessageType.dead
    public var incarnation: UInt32
    public var node: String
    public var from: String

    public init(incarnation: UInt32 = 0, node: String = "", from: String = "") {
        self.incarnation = incarnation
        self.node = node
        self.from = from
    }

    /// A dead message its subject sends about itself: memberlist's graceful leave.
    public var isLeave: Bool { node == from }

    public func encodeBody(into w: inout MsgpackWriter) {
        encodeIncarnationNodeFrom(incarnation, node, from, into: &w)
    }

    public init(decodingBody r: inout MsgpackReader) throws(WireError) {
        (incarnation, node, from) = try decodeIncarnationNodeFrom(&r)
    }
}

/// `alive` (type 4): `node` is alive at `incarnation`, reachable at `addr:port`, with `meta` (serf tags).
public struct Alive: WireMessage {
    public static let messageType = MessageType.alive
    public var incarnation: UInt32
    public var node: String
    /// 4 (IPv4) or 16 (IPv6) bytes.
    public var addr: [UInt8]
    public var port: UInt16
    public var meta: [UInt8]
    public var vsn: Vsn

    public init(incarnation: UInt32 = 0, node: String = "", addr: [UInt8] = [], port: UInt16 = 0, meta: [UInt8] = [], vsn: Vsn = .absent) {
        self.incarnation = incarnation
        self.node = node
        self.addr = addr
        self.port = port
        self.meta = meta
        self.vsn = vsn
    }

    public func encodeBody(into w: inout MsgpackWriter) {
        w.writeMapHeader(count: 6)
        w.writeKey("Addr"); w.writeBytes(addr)
        w.writeKey("Incarnation"); w.writeUInt(UInt64(incarnation))
        w.writeKey("Meta"); w.writeBytes(meta)
        w.writeKey("Node"); w.writeString(node)
        w.writeKey("Port"); w.writeUInt(UInt64(port))
        w.writeKey("Vsn"); w.writeRawBytes(vsn.bytes)
    }

    public init(decodingBody r: inout MsgpackReader) throws(WireError) {
        self.init()
        for _ in 0..<(try r.readMapCount()) {
            let k = try r.readKey()
            if r.key(k, is: "Incarnation") { incarnation = try r.readUInt32() }
            else if r.key(k, is: "Node") { node = try r.readString() }
            else if r.key(k, is: "Addr") { addr = try r.readBytes() }
            else if r.key(k, is: "Port") { port = try r.readUInt16() }
            else if r.key(k, is: "Meta") { meta = try r.readBytes() }
            else if r.key(k, is: "Vsn") { vsn = try r.readVsn() }
            else { try r.skipValue() }
        }
    }
}

/// suspect and dead share their fields and their key order.
private func encodeIncarnationNodeFrom(_ incarnation: UInt32, _ node: String, _ from: String, into w: inout MsgpackWriter) {
    w.writeMapHeader(count: 3)
    w.writeKey("From"); w.writeString(from)
    w.writeKey("Incarnation"); w.writeUInt(UInt64(incarnation))
    w.writeKey("Node"); w.writeString(node)
}

private func decodeIncarnationNodeFrom(_ r: inout MsgpackReader) throws(WireError) -> (UInt32, String, String) {
    var incarnation: UInt32 = 0
    var node = ""
    var from = ""
    for _ in 0..<(try r.readMapCount()) {
        let k = try r.readKey()
        if r.key(k, is: "Incarnation") { incarnation = try r.readUInt32() }
        else if r.key(k, is: "Node") { node = try r.readString() }
        else if r.key(k, is: "From") { from = try r.readString() }
        else { try r.skipValue() }
    }
    return (incarnation, node, from)
}
