// Which label headers a node accepts, as memberlist's ingestPacket (packets) and handleConn (streams) decide.
//
// Without the skip flag the label received must equal ours exactly, "no header" counting as the empty
// label: a labelled packet reaching an unlabelled node is refused, and so is an unlabelled one reaching a
// labelled node. memberlist's SkipInboundLabelCheck is narrower than "accept anything": it is meant for a
// transport that already removed the header, so unlabelled input is taken as carrying our label, and input
// that still has a header is refused ("unexpected double packet label header"), even with our own label.
// Either way, what is accepted is authenticated under OUR label when encrypted.

/// The label a node writes and how it checks the ones it receives.
public struct LabelPolicy: Sendable, Hashable {
    /// Our label, 0...255 bytes; empty means none (no header is written).
    public let label: [UInt8]
    /// memberlist's `SkipInboundLabelCheck`.
    public let skipInboundCheck: Bool

    /// - Throws: `too_large` for a label over 255 bytes: its length is one byte on the wire.
    public init(label: [UInt8] = [], skipInboundCheck: Bool = false) throws(WireError) {
        guard label.count <= LabelHeader.maxLabelSize else {
            throw WireError(.tooLarge, "a label of \(label.count) bytes; memberlist allows \(LabelHeader.maxLabelSize)")
        }
        self.label = label
        self.skipInboundCheck = skipInboundCheck
    }

    private init(unchecked label: [UInt8], skipInboundCheck: Bool) {
        self.label = label
        self.skipInboundCheck = skipInboundCheck
    }

    /// No label, nothing skipped: memberlist's default, and every peer that predates labels.
    public static let none = LabelPolicy(unchecked: [], skipInboundCheck: false)

    /// The header this node puts on packets and on streams it opens.
    public var header: [UInt8] { LabelHeader.wrap([], label: label) }

    /// Accepts or refuses what a peer sent: `received` is the label of its header, nil when it had none.
    public func check(received: [UInt8]?) throws(WireError) {
        if skipInboundCheck {
            guard let received else { return }
            throw WireError(.labelMismatch, "unexpected double label header \(Self.quoted(received)) while the inbound label check is skipped",
                            remoteLabel: received)
        }
        let theirs = received ?? []
        guard theirs == label else {
            throw WireError(.labelMismatch, "label \(Self.quoted(theirs)) where this node's is \(Self.quoted(label))",
                            remoteLabel: theirs)
        }
    }

    /// The label checked, then the offset of what follows its header, in a whole datagram.
    public func acceptPacket(_ bytes: [UInt8]) throws(WireError) -> Int {
        switch try LabelHeader.scanPacket(bytes) {
        case .absent, .incomplete:
            try check(received: nil)
            return 0
        case .present(let received, let end):
            try check(received: received)
            return end
        }
    }

    /// A label for a log line: quoted, control and non-UTF-8 bytes escaped; `none` when empty.
    public static func quoted(_ label: [UInt8]) -> String {
        label.isEmpty ? "none" : String(reflecting: String(decoding: label, as: UTF8.self))
    }
}
