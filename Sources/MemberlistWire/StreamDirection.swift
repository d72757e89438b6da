// Which end of a stream bytes come from matters for one thing: the cluster label header. memberlist's
// transport writes it once when it dials (labelWrappedTransport.DialAddressTimeout) and the answering side
// replies without one, though both seal with the label as associated data (net.go handleConn, readStream).

/// Whether a stream reader or assembler reads what a dialer sent or what the answering side replied.
public enum StreamDirection: Sendable, Hashable {
    /// Bytes of a stream a peer opened: a label header may lead, checked by the ``LabelPolicy``.
    case request
    /// The reply on a stream this node opened: never labelled (a 244 there is an unknown message type).
    case reply
}
