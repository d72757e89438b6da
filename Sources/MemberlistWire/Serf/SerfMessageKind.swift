// serf's message type bytes (serf messages.go): the first byte of every serf message, which rides inside a
// memberlist user message (type 8) or a push/pull's user state.

/// The serf messages this node reads or writes.
public enum SerfMessageKind {
    public static let leave: UInt8 = 0
    public static let join: UInt8 = 1
    public static let pushPull: UInt8 = 2
    public static let userEvent: UInt8 = 3
    public static let query: UInt8 = 4
    public static let queryResponse: UInt8 = 5
    public static let conflictResponse: UInt8 = 6
    public static let keyRequest: UInt8 = 7
    public static let keyResponse: UInt8 = 8
    public static let relay: UInt8 = 9
}
