/// Limits a decoder enforces beyond the wire format's own, taken from the receiving node's configuration.
public struct PlumtreeDecodeLimits: Sendable, Equatable {
    /// Largest payload accepted in a Gossip.
    public var maxPayloadSize: Int
    /// Largest trace context accepted in a Gossip.
    public var maxTraceContextSize: Int

    public init(maxPayloadSize: Int = 64 * 1024, maxTraceContextSize: Int = 512) {
        self.maxPayloadSize = maxPayloadSize
        self.maxTraceContextSize = maxTraceContextSize
    }

    init(_ config: PlumtreeConfig) {
        self.init(maxPayloadSize: config.maxMessageSize, maxTraceContextSize: config.maxTraceContextSize)
    }
}

extension PlumtreeMessage {
    /// The message's bytes: type byte and body, without envelope.
    public func encoded() -> [UInt8] {
        var writer = ByteWriter(capacity: 32)
        encode(into: &writer)
        return writer.bytes
    }

    /// Appends the type byte and body. Names longer than 255 bytes and lists longer than the wire limits
    /// are the caller's error; the core never builds them.
    func encode(into writer: inout ByteWriter) {
        switch self {
        case .gossip(let gossip):
            Self.encodeGossip(
                id: gossip.id, round: gossip.round, origin: gossip.origin, isRepair: gossip.isRepair,
                traceContext: gossip.traceContext, age: gossip.age, payload: gossip.payload, into: &writer
            )
        case .ihave(let announcements):
            writer.u8(Kind.ihave.rawValue)
            writer.u8(UInt8(truncatingIfNeeded: announcements.count))
            for announcement in announcements {
                writer.id(announcement.id)
                writer.u16(announcement.round)
            }
        case .graft(let id, let round):
            writer.u8(Kind.graft.rawValue)
            writer.u8(id == nil ? 0 : 1)
            if let id { writer.id(id) }
            writer.u16(round)
        case .prune:
            writer.u8(Kind.prune.rawValue)
        case .neighbor(let eager):
            writer.u8(Kind.neighbor.rawValue)
            writer.u8(eager ? 1 : 0)
        case .disconnect:
            writer.u8(Kind.disconnect.rawValue)
        case .neighborAccepted:
            writer.u8(Kind.neighborAccepted.rawValue)
        case .digest(let ids), .pull(let ids):
            if case .digest = self { writer.u8(Kind.digest.rawValue) } else { writer.u8(Kind.pull.rawValue) }
            writer.u16(UInt16(truncatingIfNeeded: ids.count))
            for id in ids { writer.id(id) }
        case .treeQuery(let id):
            writer.u8(Kind.treeQuery.rawValue)
            writer.u32(id)
        case .treeReport(let id, let eager, let lazy):
            writer.u8(Kind.treeReport.rawValue)
            writer.u32(id)
            for list in [eager, lazy] {
                writer.u8(UInt8(truncatingIfNeeded: list.count))
                for name in list { writer.name(name) }
            }
        }
    }

    static func encodeGossip(
        id: MessageID, round: UInt16, origin: String, isRepair: Bool, traceContext: [UInt8]?, age: Duration = .zero,
        payload: [UInt8], into writer: inout ByteWriter
    ) {
        writer.u8(Kind.gossip.rawValue)
        writer.id(id)
        writer.u16(round)
        var flags: UInt8 = 0
        if traceContext != nil { flags |= GossipFlags.hasTrace }
        if isRepair { flags |= GossipFlags.isRepair }
        writer.u8(flags)
        writer.name(origin)
        if let traceContext {
            writer.u16(UInt16(truncatingIfNeeded: traceContext.count))
            writer.bytes.append(contentsOf: traceContext)
        }
        if isRepair { writer.u32(PlumtreeMessage.Gossip.wireAge(age)) }
        writer.u32(UInt32(truncatingIfNeeded: payload.count))
        writer.bytes.append(contentsOf: payload)
    }

    /// A whole IHave envelope (`header`, then the message) for 1...64 announcements, written straight into
    /// one exactly sized buffer: IHaves are the most frequent message, and appending their fields one by one
    /// cost a uniqueness and capacity check per field.
    static func ihaveEnvelope(header: [UInt8], _ announcements: ArraySlice<Announcement>) -> [UInt8] {
        let size = header.count + 2 + announcements.count * (MessageID.byteCount + 2)
        return [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
            let raw = UnsafeMutableRawBufferPointer(buffer)
            var offset = header.withUnsafeBytes { header in
                raw.copyMemory(from: header)
                return header.count
            }
            raw[offset] = Kind.ihave.rawValue
            raw[offset + 1] = UInt8(truncatingIfNeeded: announcements.count)
            offset += 2
            for announcement in announcements {
                raw.storeBytes(of: announcement.id.high.bigEndian, toByteOffset: offset, as: UInt64.self)
                raw.storeBytes(of: announcement.id.low.bigEndian, toByteOffset: offset + 8, as: UInt64.self)
                raw.storeBytes(of: announcement.round.bigEndian, toByteOffset: offset + 16, as: UInt16.self)
                offset += MessageID.byteCount + 2
            }
            initialized = size
        }
    }

    /// Decodes one message from untrusted bytes (type byte and body, no envelope).
    public init(decoding bytes: some Collection<UInt8>, limits: PlumtreeDecodeLimits = .init()) throws(PlumtreeDecodeError) {
        let result: Result<PlumtreeMessage, PlumtreeDecodeError>? = bytes.withContiguousStorageIfAvailable { buffer in
            var reader = ByteReader(UnsafeRawBufferPointer(buffer))
            do throws(PlumtreeDecodeError) {
                return .success(try Self.decode(&reader, limits: limits))
            } catch {
                return .failure(error)
            }
        }
        if let result {
            self = try result.get()
        } else {
            self = try PlumtreeMessage(decoding: Array(bytes), limits: limits)
        }
    }

    static func decode(_ reader: inout ByteReader, limits: PlumtreeDecodeLimits) throws(PlumtreeDecodeError) -> PlumtreeMessage {
        let type = try reader.u8("type")
        guard let kind = Kind(rawValue: type) else { throw .unknownMessageType(type) }
        let message: PlumtreeMessage
        switch kind {
        case .gossip:
            message = .gossip(try decodeGossip(&reader, limits: limits))
        case .ihave:
            let count = Int(try reader.u8("ihave count"))
            guard count >= 1, count <= maxIDsPerIHave else {
                throw .invalidCount(field: "ihave", count: count, limit: maxIDsPerIHave)
            }
            // The whole list must be present before anything is allocated for it.
            try reader.need(count * (MessageID.byteCount + 2), "ihave entries")
            var announcements: [Announcement] = []
            announcements.reserveCapacity(count)
            for _ in 0..<count {
                let id = try reader.id("ihave id")
                announcements.append(Announcement(id: id, round: try reader.u16("ihave round")))
            }
            message = .ihave(announcements)
        case .graft:
            let flags = try reader.u8("graft flags")
            guard flags <= 1 else { throw .invalidFlags(flags) }
            let id = flags == 1 ? try reader.id("graft id") : nil
            message = .graft(id: id, round: try reader.u16("graft round"))
        case .prune:
            message = .prune
        case .neighbor:
            let flags = try reader.u8("neighbor flags")
            guard flags <= 1 else { throw .invalidFlags(flags) }
            message = .neighbor(eager: flags == 1)
        case .disconnect:
            message = .disconnect
        case .neighborAccepted:
            message = .neighborAccepted
        case .digest, .pull:
            let field = kind == .digest ? "digest" : "pull"
            let count = Int(try reader.u16("\(field) count"))
            guard count >= 1, count <= maxIDsPerDigest else {
                throw .invalidCount(field: field, count: count, limit: maxIDsPerDigest)
            }
            try reader.need(count * MessageID.byteCount, "\(field) ids")
            var ids: [MessageID] = []
            ids.reserveCapacity(count)
            for _ in 0..<count { ids.append(try reader.id("\(field) id")) }
            message = kind == .digest ? .digest(ids) : .pull(ids)
        case .treeQuery:
            message = .treeQuery(id: try reader.u32("tree query id"))
        case .treeReport:
            let id = try reader.u32("tree report id")
            var lists: [[String]] = []
            for field in ["tree report eager", "tree report lazy"] {
                // A count byte bounds the list at 255 names, each read and checked before the next.
                let count = Int(try reader.u8("\(field) count"))
                var names: [String] = []
                for _ in 0..<count {
                    guard let name = try reader.name(field) else { throw .invalidName(field: field) }
                    names.append(name)
                }
                lists.append(names)
            }
            message = .treeReport(id: id, eager: lists[0], lazy: lists[1])
        }
        try reader.expectEnd()
        return message
    }

    static func decodeGossip(_ reader: inout ByteReader, limits: PlumtreeDecodeLimits) throws(PlumtreeDecodeError) -> Gossip {
        let id = try reader.id("gossip id")
        let round = try reader.u16("gossip round")
        guard round >= 1 else { throw .invalidRound }
        let flags = try reader.u8("gossip flags")
        guard flags & ~GossipFlags.known == 0 else { throw .invalidFlags(flags) }
        guard let origin = try reader.name("gossip origin") else { throw .invalidOrigin }
        var trace: [UInt8]?
        if flags & GossipFlags.hasTrace != 0 {
            let length = Int(try reader.u16("trace length"))
            guard length <= limits.maxTraceContextSize else {
                throw .tooLarge(field: "trace context", size: length, limit: limits.maxTraceContextSize)
            }
            trace = try reader.take(length, "trace context")
        }
        let isRepair = flags & GossipFlags.isRepair != 0
        let age: Duration = isRepair ? .milliseconds(Int64(try reader.u32("gossip age"))) : .zero
        let length = Int(try reader.u32("payload length"))
        guard length <= limits.maxPayloadSize else {
            throw .tooLarge(field: "payload", size: length, limit: limits.maxPayloadSize)
        }
        let payload = try reader.take(length, "payload")
        return Gossip(id: id, round: round, origin: origin, isRepair: isRepair, traceContext: trace, age: age, payload: payload)
    }
}
