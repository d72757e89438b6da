// serf's leave intent: the one serf message a memberlist-level node needs to send, so that serf shows a
// graceful leave as "left" rather than "failed". It rides inside a memberlist user message (type 8).

/// serf's `messageLeave`: `[0]` (serf's type byte) then msgpack {LTime, Node, Prune}.
public struct SerfLeave: Hashable, Sendable {
    /// serf's message type byte for a leave intent.
    public static let serfMessageType: UInt8 = SerfMessageKind.leave
    /// serf's Lamport time of the intent; serf ignores an intent not newer than what it knows of the node.
    public var ltime: UInt64
    public var node: String
    /// Whether serf should forget the node at once instead of keeping it as "left".
    public var prune: Bool

    public init(ltime: UInt64, node: String, prune: Bool = false) {
        self.ltime = ltime
        self.node = node
        self.prune = prune
    }

    /// The user message payload (send it as ``PacketMessage/user(_:)``).
    public func encoded() -> [UInt8] {
        var w = MsgpackWriter(prefix: [SerfLeave.serfMessageType])
        w.writeMapHeader(count: 3)
        w.writeKey("LTime"); w.writeUInt(ltime)
        w.writeKey("Node"); w.writeString(node)
        w.writeKey("Prune"); w.writeBool(prune)
        return w.bytes
    }

    /// Reads a leave intent from a user message payload.
    public init(decoding payload: [UInt8]) throws(WireError) {
        guard payload.first == SerfLeave.serfMessageType else {
            throw WireError(.unexpectedType, "not a serf leave intent")
        }
        var r = MsgpackReader(payload, start: 1)
        self.init(ltime: 0, node: "")
        for _ in 0..<(try r.readMapCount()) {
            let k = try r.readKey()
            if r.key(k, is: "LTime") { ltime = try r.readUInt(max: .max) }
            else if r.key(k, is: "Node") { node = try r.readString() }
            else if r.key(k, is: "Prune") { prune = try r.readBool() }
            else { try r.skipValue() }
        }
        guard r.isAtEnd else { throw WireError(.malformed, "\(r.remaining) bytes after the leave intent") }
    }
}
