import MemberlistWire

/// Checks tags against memberlist's metadata limit before they reach the engine, so that the error names
/// the size the tags really take (a 10 KB tag used to be reported as "513 bytes", the first size over).
enum TagSize {
    /// - Throws: ``GossipNodeError/tagsTooLarge(size:)`` with the encoded size, `plumtree` tag included.
    static func check(_ tags: [String: String], versions: ClosedRange<UInt8>) throws(GossipNodeError) {
        var all = tags
        all[PlumtreeTag.key] = PlumtreeTag.value(versions)
        let size = SerfTags.encodedSize(all)
        guard size <= SerfTags.maxMetaSize else { throw .tagsTooLarge(size: size) }
    }
}
