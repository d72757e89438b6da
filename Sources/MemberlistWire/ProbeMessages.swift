// The failure detector's messages: ping, indirect ping, ack, nack, and the stream error reply.

/// `ping` (type 0). `sourceAddr`, `sourcePort` and `sourceNode` are omitted from the wire when empty.
public struct Ping: WireMessage {
    public static let messageType = MessageType.ping
    public var seqNo: UInt32
    /// The node the ping is meant for; a receiver answers only when it is empty or its own name.
    public var node: String
    /// Where to send the ack, when set together with `sourcePort`.
    public var sourceAddr: [UInt8]
    public var sourcePort: UInt16
    public var sourceNode: String

    public init(seqNo: UInt32 = 0, node: String = "", sourceAddr: [UInt8] = [], sourcePort: UInt16 = 0, sourceNode: String = "") {
        self.seqNo = seqNo
        self.node = node
        self.sourceAddr = sourceAddr
        self.sourcePort = sourcePort
        self.sourceNode = sourceNode
    }

    public func encodeBody(into w: inout MsgpackWriter) {
        let count = 2 + (sourceAddr.isEmpty ? 0 : 1) + (sourcePort == 0 ? 0 : 1) + (sourceNode.isEmpty ? 0 : 1)
        w.writeMapHeader(count: count)
        w.writeKey("Node"); w.writeString(node)
        w.writeKey("SeqNo"); w.writeUInt(UInt64(seqNo))
        if !sourceAddr.isEmpty { w.writeKey("SourceAddr"); w.writeBytes(sourceAddr) }
        if !sourceNode.isEmpty { w.writeKey("SourceNode"); w.writeString(sourceNode) }
        if sourcePort != 0 { w.writeKey("SourcePort"); w.writeUInt(UInt64(sourcePort)) }
    }

    public init(decodingBody r: inout MsgpackReader) throws(WireError) {
        self.init()
        for _ in 0..<(try r.readMapCount()) {
            let k = try r.readKey()
            if r.key(k, is: "SeqNo") { seqNo = try r.readUInt32() }
            else if r.key(k, is: "Node") { node = try r.readString() }
            else if r.key(k, is: "SourceAddr") { sourceAddr = try r.readBytes() }
            else if r.key(k, is: "SourcePort") { sourcePort = try r.readUInt16() }
            else if r.key(k, is: "SourceNode") { sourceNode = try r.readString() }
            else { try r.skipValue() }
        }
    }
}

/// `indirectPingReq` (type 1): ask a member to ping `target:port` on our behalf.
public struct IndirectPingReq: WireMessage {
    public static let messageType = MessageType.indirectPing
    public var seqNo: UInt32
    public var target: [UInt8]
    public var port: UInt16
    public var node: String
    /// Whether the sender wants a nack when the target does not answer in time (protocol >= 4).
    public var nack: Bool
    public var sourceAddr: [UInt8]
    public var sourcePort: UInt16
    public var sourceNode: String

    public init(
        seqNo: UInt32 = 0, target: [UInt8] = [], port: UInt16 = 0, node: String = "", nack: Bool = false,
        sourceAddr: [UInt8] = [], sourcePort: UInt16 = 0, sourceNode: String = ""
    ) {
        self.seqNo = seqNo
        self.target = target
        self.port = port
        self.node = node
        self.nack = nack
        self.sourceAddr = sourceAddr
        self.sourcePort = sourcePort
        self.sourceNode = sourceNode
    }

    public func encodeBody(into w: inout MsgpackWriter) {
        let count = 5 + (sourceAddr.isEmpty ? 0 : 1) + (sourcePort == 0 ? 0 : 1) + (sourceNode.isEmpty ? 0 : 1)
        w.writeMapHeader(count: count)
        w.writeKey("Nack"); w.writeBool(nack)
        w.writeKey("Node"); w.writeString(node)
        w.writeKey("Port"); w.writeUInt(UInt64(port))
        w.writeKey("SeqNo"); w.writeUInt(UInt64(seqNo))
        if !sourceAddr.isEmpty { w.writeKey("SourceAddr"); w.writeBytes(sourceAddr) }
        if !sourceNode.isEmpty { w.writeKey("SourceNode"); w.writeString(sourceNode) }
        if sourcePort != 0 { w.writeKey("SourcePort"); w.writeUInt(UInt64(sourcePort)) }
        w.writeKey("Target"); w.writeBytes(target)
    }

    public init(decodingBody r: inout MsgpackReader) throws(WireError) {
        self.init()
        for _ in 0..<(try r.readMapCount()) {
            let k = try r.readKey()
            if r.key(k, is: "SeqNo") { seqNo = try r.readUInt32() }
            else if r.key(k, is: "Target") { target = try r.readBytes() }
            else if r.key(k, is: "Port") { port = try r.readUInt16() }
            else if r.key(k, is: "Node") { node = try r.readString() }
            else if r.key(k, is: "Nack") { nack = try r.readBool() }
            else if r.key(k, is: "SourceAddr") { sourceAddr = try r.readBytes() }
            else if r.key(k, is: "SourcePort") { sourcePort = try r.readUInt16() }
            else if r.key(k, is: "SourceNode") { sourceNode = try r.readString() }
            else { try r.skipValue() }
        }
    }
}

/// `ackResp` (type 2). serf puts its network coordinate in `payload`; empty is written as nil.
public struct AckResp: WireMessage {
    public static let messageType = MessageType.ackResp
    public var seqNo: UInt32
    public var payload: [UInt8]

    public init(seqNo: UInt32 = 0, payload: [UInt8] = []) {
        self.seqNo = seqNo
        self.payload = payload
    }

    public func encodeBody(into w: inout MsgpackWriter) {
        w.writeMapHeader(count: 2)
        w.writeKey("Payload"); w.writeBytes(payload)
        w.writeKey("SeqNo"); w.writeUInt(UInt64(seqNo))
    }

    public init(decodingBody r: inout MsgpackReader) throws(WireError) {
        self.init()
        for _ in 0..<(try r.readMapCount()) {
            let k = try r.readKey()
            if r.key(k, is: "SeqNo") { seqNo = try r.readUInt32() }
            else if r.key(k, is: "Payload") { payload = try r.readBytes() }
            else { try r.skipValue() }
        }
    }
}

/// `nackResp` (type 11): the indirect prober did not hear from the target in time.
public struct NackResp: WireMessage {
    public static let messageType = MessageType.nackResp
    public var seqNo: UInt32

    public init(seqNo: UInt32 = 0) { self.seqNo = seqNo }

    public func encodeBody(into w: inout MsgpackWriter) {
        w.writeMapHeader(count: 1)
        w.writeKey("SeqNo"); w.writeUInt(UInt64(seqNo))
    }

    public init(decodingBody r: inout MsgpackReader) throws(WireError) {
        self.init()
        for _ in 0..<(try r.readMapCount()) {
            let k = try r.readKey()
            if r.key(k, is: "SeqNo") { seqNo = try r.readUInt32() } else { try r.skipValue() }
        }
    }
}

/// `errResp` (type 13): the reply on a stream whose request failed.
public struct ErrResp: WireMessage {
    public static let messageType = MessageType.errResp
    public var error: String

    public init(error: String = "") { self.error = error }

    public func encodeBody(into w: inout MsgpackWriter) {
        w.writeMapHeader(count: 1)
        w.writeKey("Error"); w.writeString(error)
    }

    public init(decodingBody r: inout MsgpackReader) throws(WireError) {
        self.init()
        for _ in 0..<(try r.readMapCount()) {
            let k = try r.readKey()
            if r.key(k, is: "Error") { error = try r.readString() } else { try r.skipValue() }
        }
    }
}
