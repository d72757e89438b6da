// The six protocol version bytes an alive message and a push/pull node state carry.

/// memberlist's `Vsn`: its own protocol range and current version, then the delegate's (serf's).
///
/// Always six bytes on the wire: memberlist 0.2.2 panics on a Vsn of one to five bytes. A decoded message
/// without a Vsn carries ``Vsn/absent`` (all zero), which a member must treat as incompatible.
public struct Vsn: Hashable, Sendable, CustomStringConvertible {
    public var protocolMin: UInt8
    public var protocolMax: UInt8
    public var protocolCurrent: UInt8
    public var delegateMin: UInt8
    public var delegateMax: UInt8
    public var delegateCurrent: UInt8

    public init(
        protocolMin: UInt8, protocolMax: UInt8, protocolCurrent: UInt8,
        delegateMin: UInt8, delegateMax: UInt8, delegateCurrent: UInt8
    ) {
        self.protocolMin = protocolMin
        self.protocolMax = protocolMax
        self.protocolCurrent = protocolCurrent
        self.delegateMin = delegateMin
        self.delegateMax = delegateMax
        self.delegateCurrent = delegateCurrent
    }

    /// Builds a Vsn from its six wire bytes; nil unless there are exactly six.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 6 else { return nil }
        let b = Array(bytes)
        self.init(
            protocolMin: b[0], protocolMax: b[1], protocolCurrent: b[2],
            delegateMin: b[3], delegateMax: b[4], delegateCurrent: b[5])
    }

    /// The six wire bytes: pMin, pMax, pCur, dMin, dMax, dCur.
    public var bytes: [UInt8] {
        [protocolMin, protocolMax, protocolCurrent, delegateMin, delegateMax, delegateCurrent]
    }

    /// What a decoded message without a Vsn field carries.
    public static let absent = Vsn(
        protocolMin: 0, protocolMax: 0, protocolCurrent: 0, delegateMin: 0, delegateMax: 0, delegateCurrent: 0)

    /// What a serf agent advertises: memberlist 1...5 speaking 2, serf 2...5 speaking 5.
    public static let serfAgent = Vsn(
        protocolMin: 1, protocolMax: 5, protocolCurrent: 2, delegateMin: 2, delegateMax: 5, delegateCurrent: 5)

    /// What serf as a library advertises: delegate current 4.
    public static let serfLibrary = Vsn(
        protocolMin: 1, protocolMax: 5, protocolCurrent: 2, delegateMin: 2, delegateMax: 5, delegateCurrent: 4)

    /// memberlist ignores an alive whose protocol range is empty or inverted.
    public var hasValidProtocolRange: Bool {
        protocolMin != 0 && protocolMax != 0 && protocolMin <= protocolMax
    }

    public var description: String { bytes.map(String.init).joined(separator: ",") }
}
