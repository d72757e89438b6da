/// Checks an `Authorization` header against the admin token.
///
/// The comparison runs over the UTF-8 bytes in time that depends on the lengths only, never on where the
/// first difference is: String `==` returns at the first differing character (a timing oracle for
/// guessing the token byte by byte), and it compares by canonical equivalence, so `"e\u{301}"` would
/// match a token holding `"é"`.
package enum AdminToken {
    /// Whether `header` is `Bearer TOKEN` with exactly this token. The scheme is case-insensitive
    /// (RFC 9110); the token is compared byte for byte.
    package static func authorizes(header: String?, token: String) -> Bool {
        guard let header else { return false }
        let bytes = Array(header.utf8)
        let scheme = Array("bearer ".utf8)
        guard bytes.count >= scheme.count,
              zip(bytes.prefix(scheme.count), scheme).allSatisfy({ asciiLowercased($0) == $1 })
        else { return false }
        return constantTimeEqual(bytes[scheme.count...], Array(token.utf8))
    }

    /// Byte equality that looks at every byte of the longer input whatever the contents.
    @inline(never)
    package static func constantTimeEqual(_ lhs: some Collection<UInt8>, _ rhs: some Collection<UInt8>) -> Bool {
        let a = Array(lhs), b = Array(rhs)
        var difference = UInt64(truncatingIfNeeded: a.count ^ b.count)
        for i in 0..<max(a.count, b.count) {
            // Past the end of the shorter input, compare against 0: the lengths already differ.
            let x = i < a.count ? a[i] : 0
            let y = i < b.count ? b[i] : 0
            difference |= UInt64(x ^ y)
        }
        return difference == 0
    }

    private static func asciiLowercased(_ byte: UInt8) -> UInt8 {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte | 0x20 : byte
    }
}
