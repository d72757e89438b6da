// serf's node metadata: its tags, carried in memberlist's Meta field.

/// serf's tag encoding: `0xFF` followed by a msgpack map of string to string, at most 512 bytes in all.
public enum SerfTags {
    /// serf's tag magic byte; Meta not starting with it is an old-style role.
    public static let magicByte: UInt8 = 0xFF
    /// memberlist's limit on a node's Meta.
    public static let maxMetaSize = 512

    /// Encodes tags as serf does, keys sorted so the bytes are the same on every run.
    /// Refused with `too_large` when the result exceeds ``maxMetaSize``.
    public static func encode(_ tags: [String: String]) throws(WireError) -> [UInt8] {
        let bytes = encodeUnchecked(tags)
        guard bytes.count <= maxMetaSize else {
            throw WireError(.tooLarge, "tags take \(bytes.count) bytes, the limit is \(maxMetaSize)")
        }
        return bytes
    }

    /// The size `encode` would give, whatever it is: an error about tags that are too large must name
    /// their real size, not the first size over the limit.
    public static func encodedSize(_ tags: [String: String]) -> Int {
        encodeUnchecked(tags).count
    }

    /// The encoding without the size check, so that a refusal can say how large the tags really are.
    public static func encodeUnchecked(_ tags: [String: String]) -> [UInt8] {
        var w = MsgpackWriter(prefix: [magicByte])
        w.writeMapHeader(count: tags.count)
        for key in tags.keys.sorted(by: { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }) {
            w.writeString(key)
            w.writeString(tags[key] ?? "")
        }
        return w.bytes
    }

    /// Decodes a member's Meta as serf does: without the magic byte (or empty) it is `["role": meta]`.
    public static func decode(_ meta: [UInt8]) throws(WireError) -> [String: String] {
        guard meta.count <= maxMetaSize else {
            throw WireError(.tooLarge, "meta of \(meta.count) bytes, the limit is \(maxMetaSize)")
        }
        guard meta.first == magicByte else {
            guard let role = String(validating: meta, as: UTF8.self) else {
                throw WireError(.malformed, "role meta is not UTF-8")
            }
            return ["role": role]
        }
        var r = MsgpackReader(meta, start: 1)
        var tags: [String: String] = [:]
        for _ in 0..<(try r.readMapCount()) {
            let key = try r.readString()
            tags[key] = try r.readString()
        }
        guard r.isAtEnd else { throw WireError(.malformed, "\(r.remaining) bytes after the tags") }
        return tags
    }
}
