import MemberlistWire
import Plumtree

/// What a member's `plumtree` tag means to this node.
enum PlumtreeLink: Equatable {
    /// No tag: a plain serf agent, or a memberlist node that does not run Plumtree.
    case notPlumtree
    /// The version both speak: the member is an overlay candidate.
    case version(UInt8)
    /// A Plumtree node with no version in common (its tag's value as announced): it could never be spoken
    /// to, so it is not made a peer, and the node says so.
    case incompatible(announced: String)

    var version: UInt8? {
        if case .version(let version) = self { version } else { nil }
    }
}

/// A member that runs Plumtree in versions this node does not speak.
package struct PlumtreeVersionMismatch: Sendable, Equatable {
    package var member: String
    /// Its `plumtree` tag, as it announced it.
    package var announced: String
    /// This node's own tag value.
    package var local: String
}

extension NodeCore {
    /// Reads a member's tag against the versions this node speaks.
    func plumtreeLink(_ meta: [UInt8]) -> PlumtreeLink {
        guard let tags = try? SerfTags.decode(meta), let announced = tags[PlumtreeTag.key] else { return .notPlumtree }
        guard let remote = PlumtreeVersions.parse(announced),
              let version = PlumtreeVersions.negotiate(config.plumtree.protocolVersions, remote)
        else { return .incompatible(announced: announced) }
        return .version(version)
    }

    /// Keeps the set of members this node cannot speak with, and reports each once when it enters it.
    mutating func noteVersionMismatch(_ name: String, _ link: PlumtreeLink, into out: inout [NodeOutput]) {
        if case .incompatible(let announced) = link {
            guard incompatibleMembers[name] != announced else { return }
            incompatibleMembers[name] = announced
            out.append(.plumtreeVersionMismatch(PlumtreeVersionMismatch(
                member: name, announced: announced, local: PlumtreeTag.value(config.plumtree.protocolVersions))))
        } else {
            guard incompatibleMembers.removeValue(forKey: name) != nil else { return }
        }
        metrics.incompatibleMembers.record(incompatibleMembers.count)
    }
}
