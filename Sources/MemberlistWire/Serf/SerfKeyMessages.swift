// The payloads of serf's key queries (serf keymanager.go, internal_query.go): the request `[7]{Key}` and
// each member's answer `[8]{Keys, Message, PrimaryKey, Result}`, carried in a query and its responses.

/// `_serf_install-key`, `_serf_use-key`, `_serf_remove-key`: the key to act on (list-keys carries none).
public struct SerfKeyRequest: Hashable, Sendable {
    public var key: [UInt8]

    public init(key: [UInt8]) { self.key = key }

    public func encoded() -> [UInt8] {
        var w = MsgpackWriter(prefix: [SerfMessageKind.keyRequest])
        w.writeMapHeader(count: 1)
        w.writeKey("Key"); w.writeBytes(key)
        return w.bytes
    }

    /// serf skips the first byte without looking at it; so do we, after checking there is one.
    public init(decoding bytes: [UInt8]) throws(WireError) {
        guard !bytes.isEmpty else { throw WireError(.truncated, "empty serf key request") }
        var r = MsgpackReader(bytes, start: 1)
        key = []
        for _ in 0..<(try r.readMapCount()) {
            let k = try r.readKey()
            if r.key(k, is: "Key") { key = try r.readBytes() } else { try r.skipValue() }
        }
        guard r.isAtEnd else { throw WireError(.malformed, "\(r.remaining) bytes after the serf key request") }
    }
}

/// One member's answer to a key query (serf's nodeKeyResponse).
public struct SerfKeyResponse: Hashable, Sendable {
    public var result: Bool
    /// Why it failed, or a note (a truncated key list).
    public var message: String
    /// list-keys: every installed key, base64 (standard alphabet, padded), primary first.
    public var keys: [String]
    /// list-keys, serf 0.9+: the primary key, base64.
    public var primaryKey: String

    public init(result: Bool, message: String = "", keys: [String] = [], primaryKey: String = "") {
        self.result = result
        self.message = message
        self.keys = keys
        self.primaryKey = primaryKey
    }

    public func encoded() -> [UInt8] {
        var w = MsgpackWriter(prefix: [SerfMessageKind.keyResponse])
        w.writeMapHeader(count: 4)
        w.writeKey("Keys")
        if keys.isEmpty {
            w.writeNil()
        } else {
            w.writeArrayHeader(count: keys.count)
            for key in keys { w.writeString(key) }
        }
        w.writeKey("Message"); w.writeString(message)
        w.writeKey("PrimaryKey"); w.writeString(primaryKey)
        w.writeKey("Result"); w.writeBool(result)
        return w.bytes
    }

    public init(decoding bytes: [UInt8]) throws(WireError) {
        guard bytes.first == SerfMessageKind.keyResponse else {
            throw WireError(.unexpectedType, "not a serf key response")
        }
        var r = MsgpackReader(bytes, start: 1)
        self.init(result: false)
        for _ in 0..<(try r.readMapCount()) {
            let k = try r.readKey()
            if r.key(k, is: "Result") { result = try r.readBool() }
            else if r.key(k, is: "Message") { message = try r.readString() }
            else if r.key(k, is: "PrimaryKey") { primaryKey = try r.readString() }
            else if r.key(k, is: "Keys") {
                keys = []
                for _ in 0..<(try r.readArrayCount()) { keys.append(try r.readString()) }
            } else { try r.skipValue() }
        }
        guard r.isAtEnd else { throw WireError(.malformed, "\(r.remaining) bytes after the serf key response") }
    }
}
