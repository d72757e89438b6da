// serf's answer to a query (messageQueryResponse): `[5]` then msgpack, sent straight to the asker as a
// memberlist user message in a UDP packet (memberlist's SendToAddress), never gossiped.

/// An acknowledgement (``SerfQuery/flagAck`` set, no payload) or an answer.
public struct SerfQueryResponse: Hashable, Sendable {
    public var ltime: UInt64
    public var id: UInt32
    /// The answering member's name.
    public var from: String
    public var flags: UInt32
    public var payload: [UInt8]

    public init(ltime: UInt64, id: UInt32, from: String, flags: UInt32 = 0, payload: [UInt8] = []) {
        self.ltime = ltime
        self.id = id
        self.from = from
        self.flags = flags
        self.payload = payload
    }

    public var isAck: Bool { flags & SerfQuery.flagAck != 0 }

    public func encoded() -> [UInt8] {
        var w = MsgpackWriter(prefix: [SerfMessageKind.queryResponse])
        w.writeMapHeader(count: 5)
        w.writeKey("Flags"); w.writeUInt(UInt64(flags))
        w.writeKey("From"); w.writeString(from)
        w.writeKey("ID"); w.writeUInt(UInt64(id))
        w.writeKey("LTime"); w.writeUInt(ltime)
        w.writeKey("Payload"); w.writeBytes(payload)
        return w.bytes
    }

    public init(decoding bytes: [UInt8]) throws(WireError) {
        guard bytes.first == SerfMessageKind.queryResponse else {
            throw WireError(.unexpectedType, "not a serf query response")
        }
        var r = MsgpackReader(bytes, start: 1)
        self.init(ltime: 0, id: 0, from: "")
        for _ in 0..<(try r.readMapCount()) {
            let k = try r.readKey()
            if r.key(k, is: "LTime") { ltime = try r.readUInt(max: .max) }
            else if r.key(k, is: "ID") { id = UInt32(try r.readUInt(max: UInt64(UInt32.max))) }
            else if r.key(k, is: "From") { from = try r.readString() }
            else if r.key(k, is: "Flags") { flags = UInt32(try r.readUInt(max: UInt64(UInt32.max))) }
            else if r.key(k, is: "Payload") { payload = try r.readBytes() }
            else { try r.skipValue() }
        }
        guard r.isAtEnd else { throw WireError(.malformed, "\(r.remaining) bytes after the serf query response") }
    }
}

/// serf's relayed message (messageRelayType): `[9]`, msgpack {DestAddr {IP, Port, Zone}, DestName}, then a
/// whole serf message for the destination. A member asked to relay an answer sends it on to the asker, so
/// that one lost UDP packet does not lose the answer.
public struct SerfRelay: Hashable, Sendable {
    public var destinationIP: [UInt8]
    public var destinationPort: UInt16
    public var destinationName: String
    /// The serf message to hand on, its type byte first.
    public var message: [UInt8]

    public init(destinationIP: [UInt8], destinationPort: UInt16, destinationName: String, message: [UInt8]) {
        self.destinationIP = destinationIP
        self.destinationPort = destinationPort
        self.destinationName = destinationName
        self.message = message
    }

    public func encoded() -> [UInt8] {
        var w = MsgpackWriter(prefix: [SerfMessageKind.relay])
        w.writeMapHeader(count: 2)
        w.writeKey("DestAddr")
        w.writeMapHeader(count: 3)
        w.writeKey("IP"); w.writeBytes(destinationIP)
        w.writeKey("Port"); w.writeInt(Int64(destinationPort))
        w.writeKey("Zone"); w.writeString("")
        w.writeKey("DestName"); w.writeString(destinationName)
        return w.bytes + message
    }

    public init(decoding bytes: [UInt8]) throws(WireError) {
        guard bytes.first == SerfMessageKind.relay else { throw WireError(.unexpectedType, "not a serf relay") }
        var r = MsgpackReader(bytes, start: 1)
        self.init(destinationIP: [], destinationPort: 0, destinationName: "", message: [])
        for _ in 0..<(try r.readMapCount()) {
            let k = try r.readKey()
            if r.key(k, is: "DestAddr") {
                for _ in 0..<(try r.readMapCount()) {
                    let field = try r.readKey()
                    if r.key(field, is: "IP") { destinationIP = try r.readBytes() }
                    else if r.key(field, is: "Port") {
                        destinationPort = UInt16(try r.readUInt(max: UInt64(UInt16.max)))
                    } else { try r.skipValue() }
                }
            } else if r.key(k, is: "DestName") { destinationName = try r.readString() }
            else { try r.skipValue() }
        }
        guard destinationIP.count == 4 || destinationIP.count == 16 else {
            throw WireError(.malformed, "serf relay destination of \(destinationIP.count) bytes")
        }
        message = Array(bytes[r.offset...])
        guard !message.isEmpty else { throw WireError(.truncated, "serf relay without a message") }
    }
}
