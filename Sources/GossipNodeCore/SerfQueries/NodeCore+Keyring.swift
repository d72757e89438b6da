import MemberlistWire
import Membership
import ProtocolSupport

/// A keyring operation this node started and the answers gathered so far.
struct PendingKeyringOperation: Sendable {
    var operation: KeyringOperation
    var ltime: UInt64
    var members: Int
    var deadline: Instant
    var answers: [String: KeyringAnswer] = [:]
}

// Keyring operations: this node's own (``NodeCore/changeKeyring(_:now:into:)``), sent to every member as
// serf's internal query, and those asked of it by any member's query.
extension NodeCore {
    /// Applies `operation` here, then asks every member to apply it too; the answers come back as one
    /// ``NodeOutput/keyringReport(id:_:)`` once every live member has answered or the query times out.
    /// Returns the query's id, which the report carries.
    package mutating func changeKeyring(_ operation: KeyringOperation, now: Instant, into out: inout [NodeOutput]) -> UInt32 {
        guard membership != nil else {
            let id = UInt32(truncatingIfNeeded: random.next() & 0x7FFF_FFFF)
            out.append(.keyringReport(id: id, KeyringReport(operation: operation, members: 0, answers: [])))
            return id
        }
        if let witnessed = membership!.serfQueryTime { serfQueries.witness(witnessed) }
        let ltime = serfQueries.clock
        var id = UInt32(truncatingIfNeeded: random.next() & 0x7FFF_FFFF)
        while keyringOperations[id] != nil { id &+= 1 }
        _ = serfQueries.record(ltime: ltime, id: id)
        let members = max(1, memberCounts.live)
        let timeout = serfQueryTimeout(members: members)
        var pending = PendingKeyringOperation(operation: operation, ltime: ltime, members: members, deadline: now + timeout)
        let local = applyKeyringOperation(operation, requestedBy: nil, into: &out)
        pending.answers[config.name] = KeyringAnswer(member: config.name, succeeded: local.result, message: local.message,
                                                     keys: local.keys, primaryKey: local.primaryKey)
        keyringOperations[id] = pending
        let advertised = membership!.local.address
        let query = SerfQuery(
            ltime: ltime, id: id, address: advertised.ip, port: advertised.port, sourceNode: config.name,
            timeoutNanoseconds: timeout.nanosecondsClamped,
            name: operation.queryName, payload: operation.key.map { SerfKeyRequest(key: $0).encoded() } ?? [])
        membership!.queueBroadcast(query.encoded(), key: "serf-query-\(ltime)-\(id)")
        finishKeyringOperationIfComplete(id, into: &out)
        drain(now: now, into: &out)
        return id
    }

    /// serf's `DefaultQueryTimeout`: the gossip interval × 16 × ⌈log10(members + 1)⌉.
    func serfQueryTimeout(members: Int) -> Duration {
        var scale = 1, reach = 10
        while reach < members + 1 { reach *= 10; scale += 1 }
        return config.membership.gossipInterval * (16 * scale)
    }

    /// Carries out a key operation on this node's keyring and says how it went, as serf answers it.
    mutating func applyKeyringOperation(_ operation: KeyringOperation, requestedBy: String?,
                                        into out: inout [NodeOutput]) -> SerfKeyResponse {
        guard let ring = membership?.keyring else {
            let message = operation == .list ? "Keyring is empty (encryption not enabled)"
                                             : "No keyring to modify (encryption not enabled)"
            if operation != .list {
                metrics.keyringChanged(operation, applied: false)
                out.append(.keyringChanged(KeyringChange(operation: operation, requestedBy: requestedBy, failure: message)))
            }
            return SerfKeyResponse(result: false, message: message)
        }
        do throws(WireError) {
            switch operation {
            case .install(let key): try membership!.installKey(key)
            case .use(let key): try membership!.useKey(key)
            case .remove(let key): try membership!.removeKey(key)
            case .list:
                return SerfKeyResponse(result: true, keys: ring.keys.map(Base64.encode), primaryKey: Base64.encode(ring.primaryKey))
            }
        } catch {
            metrics.keyringChanged(operation, applied: false)
            out.append(.keyringChanged(KeyringChange(operation: operation, requestedBy: requestedBy, failure: error.detail)))
            return SerfKeyResponse(result: false, message: error.detail)
        }
        metrics.keyringChanged(operation, applied: true)
        out.append(.keyringChanged(KeyringChange(operation: operation, requestedBy: requestedBy, failure: nil)))
        return SerfKeyResponse(result: true)
    }

    /// An answer to a query: counted if it answers one of this node's keyring operations.
    mutating func receiveSerfQueryResponse(_ response: SerfQueryResponse, now: Instant, into out: inout [NodeOutput]) {
        guard !response.isAck, var pending = keyringOperations[response.id], pending.ltime == response.ltime,
              pending.answers[response.from] == nil else { return }
        let answer: KeyringAnswer
        do {
            let body = try SerfKeyResponse(decoding: response.payload)
            answer = KeyringAnswer(member: response.from, succeeded: body.result, message: body.message, keys: body.keys,
                                   primaryKey: body.primaryKey)
        } catch {
            answer = KeyringAnswer(member: response.from, succeeded: false, message: "unreadable answer: \(error.detail)")
        }
        pending.answers[response.from] = answer
        keyringOperations[response.id] = pending
        finishKeyringOperationIfComplete(response.id, into: &out)
    }

    private mutating func finishKeyringOperationIfComplete(_ id: UInt32, into out: inout [NodeOutput]) {
        guard let pending = keyringOperations[id], pending.answers.count >= pending.members else { return }
        keyringOperations[id] = nil
        out.append(.keyringReport(id: id, KeyringReport(operation: pending.operation, members: pending.members,
                                                        answers: Array(pending.answers.values))))
    }

    /// Reports the operations whose query timed out with the answers they have.
    mutating func expireKeyringOperations(now: Instant, into out: inout [NodeOutput]) {
        for (id, pending) in keyringOperations.sorted(by: { $0.key < $1.key }) where pending.deadline <= now {
            keyringOperations[id] = nil
            out.append(.keyringReport(id: id, KeyringReport(operation: pending.operation, members: pending.members,
                                                            answers: Array(pending.answers.values))))
        }
    }

    var nextKeyringDeadline: Instant? { keyringOperations.values.map(\.deadline).min() }
}
