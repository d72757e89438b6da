// serf's state in a memberlist push/pull (the user state, messagePushPull in serf messages.go):
// `[2]{LTime, StatusLTimes, LeftMembers, EventLTime, Events, QueryLTime}`. Only the query clock is read.

public enum SerfPushPullClocks {
    /// `QueryLTime` of a serf push/pull state; nil when the state is not serf's or does not carry it.
    /// Unreadable state is not an error: memberlist hands it to serf as opaque bytes, and so do we.
    public static func queryTime(in userState: [UInt8]) -> UInt64? {
        guard userState.first == SerfMessageKind.pushPull else { return nil }
        var reader = MsgpackReader(userState, start: 1)
        guard let count = try? reader.readMapCount() else { return nil }
        for _ in 0..<count {
            guard let key = try? reader.readKey() else { return nil }
            if reader.key(key, is: "QueryLTime") { return try? reader.readUInt(max: .max) }
            guard (try? reader.skipValue()) != nil else { return nil }
        }
        return nil
    }
}
