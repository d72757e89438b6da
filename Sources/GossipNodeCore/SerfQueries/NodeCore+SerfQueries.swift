import MemberlistWire
import Membership
import ProtocolSupport

// serf's queries, as a serf agent treats them: each new one is gossiped on, acknowledged if asked, and the
// internal ones that change the keyring are carried out and answered straight to the asker. A node that
// dropped them would be left behind by `serf keys` and cut off once the old key is removed.
extension NodeCore {
    /// A memberlist user message that is not Plumtree's: serf's. Only queries, their answers and relayed
    /// answers concern this node; serf's events and intents pass by (membership notes the intents' clocks).
    mutating func receiveSerfMessage(_ message: ReceivedUserMessage, now: Instant, into out: inout [NodeOutput]) {
        guard let kind = message.bytes.first else { return }
        do throws(WireError) {
            switch kind {
            case SerfMessageKind.query:
                receiveSerfQuery(try SerfQuery(decoding: message.bytes), raw: message.bytes, now: now, into: &out)
            case SerfMessageKind.queryResponse:
                receiveSerfQueryResponse(try SerfQueryResponse(decoding: message.bytes), now: now, into: &out)
            case SerfMessageKind.relay:
                receiveSerfRelay(try SerfRelay(decoding: message.bytes), now: now, into: &out)
            default:
                return
            }
        } catch {
            metrics.serfRefused[error.reason]?.increment()
            out.append(.refused(.serf(from: message.address, error)))
        }
    }

    private mutating func receiveSerfQuery(_ query: SerfQuery, raw: [UInt8], now: Instant, into out: inout [NodeOutput]) {
        if let witnessed = membership?.serfQueryTime { serfQueries.witness(witnessed) }
        switch serfQueries.record(ltime: query.ltime, id: query.id) {
        case .duplicate: return metrics.serfQuery("duplicate")
        case .tooOld: return metrics.serfQuery("too_old")
        case .new: break
        }
        if query.rebroadcasts {
            membership?.queueBroadcast(raw, key: "serf-query-\(query.ltime)-\(query.id)")
        }
        guard admits(query) else { return metrics.serfQuery("filtered") }
        if query.wantsAck {
            answer(query, with: SerfQueryResponse(ltime: query.ltime, id: query.id, from: config.name, flags: SerfQuery.flagAck))
        }
        guard query.isInternal else { return metrics.serfQuery("ignored") }
        if query.name == "_serf_ping" { return metrics.serfQuery("answered") }
        // The query's name says what it is before its payload is read: another internal query (serf's
        // name conflict resolution) carries no key request and gets no key answer.
        guard var operation = KeyringOperation(queryName: query.name, key: []) else { return metrics.serfQuery("ignored") }
        metrics.serfQuery("answered")
        if operation != .list {
            do {
                operation = KeyringOperation(queryName: query.name, key: try SerfKeyRequest(decoding: query.payload).key) ?? operation
            } catch {
                // serf answers a request it cannot read with a failure, so the asker hears of it.
                return answerKeyQuery(query, SerfKeyResponse(result: false, message: "malformed key request: \(error.detail)"))
            }
        }
        let asker = query.sourceNode.isEmpty
            ? SocketAddress(ip: query.address, port: query.port).map { "\($0)" } ?? "?" : query.sourceNode
        let response = applyKeyringOperation(operation, requestedBy: asker, into: &out)
        answerKeyQuery(query, response)
    }

    /// serf's `shouldProcessQuery`: every filter must admit this node.
    private func admits(_ query: SerfQuery) -> Bool {
        for raw in query.filters {
            guard let filter = try? SerfQueryFilter(decoding: raw) else { return false }
            switch filter {
            case .nodes(let names):
                guard names.contains(config.name) else { return false }
            case .tag(let tag, let expression):
                let value = currentTags[tag] ?? ""
                // Go's regexp.MatchString finds a match anywhere in the value.
                guard let regex = try? Regex(expression), value.contains(regex) else { return false }
            }
        }
        return true
    }

    /// The tags this node announces now.
    private var currentTags: [String: String] {
        guard let meta = membership?.member(named: config.name)?.meta, let tags = try? SerfTags.decode(meta) else {
            return config.tags
        }
        return tags
    }

    /// A key query's answer; a key list too long for serf's response limit is cut, as serf cuts it.
    private mutating func answerKeyQuery(_ query: SerfQuery, _ response: SerfKeyResponse) {
        var response = response
        let total = response.keys.count
        while true {
            let answer = SerfQueryResponse(ltime: query.ltime, id: query.id, from: config.name, payload: response.encoded())
            if answer.encoded().count <= SerfQuery.sizeLimit || response.keys.isEmpty {
                return self.answer(query, with: answer)
            }
            response.keys.removeLast()
            response.message = "truncated key list response, showing first \(response.keys.count) of \(total) keys"
        }
    }

    /// Sends an answer straight to the asker (memberlist's SendToAddress), and through `relayFactor` other
    /// members as serf does.
    private mutating func answer(_ query: SerfQuery, with response: SerfQueryResponse) {
        guard membership != nil, let asker = SocketAddress(ip: query.address, port: query.port) else { return }
        let bytes = response.encoded()
        // This node's own queries are recorded as seen when sent, so never answered here; a query naming
        // this node as asker is someone else's mistake.
        guard asker != membership!.local.address else { return }
        membership!.sendUserPacket(to: asker, bytes, into: &membershipOut)
        guard query.relayFactor > 0 else { return }
        let relay = SerfRelay(destinationIP: query.address, destinationPort: query.port,
                              destinationName: query.sourceNode, message: bytes).encoded()
        var candidates = membership!.members.filter {
            $0.state == .alive && $0.name != config.name && $0.versions.protocolMax >= 5
        }
        // serf relays only when there are more members than relays.
        guard candidates.count >= Int(query.relayFactor) else { return }
        for _ in 0..<Int(query.relayFactor) where !candidates.isEmpty {
            let pick = candidates.remove(at: Int(random.next() % UInt64(candidates.count)))
            membership!.sendUserPacket(to: pick.address, relay, into: &membershipOut)
        }
    }

    /// A relayed answer: ours to read if we asked, otherwise handed on to its destination.
    private mutating func receiveSerfRelay(_ relay: SerfRelay, now: Instant, into out: inout [NodeOutput]) {
        guard membership != nil, let destination = SocketAddress(ip: relay.destinationIP, port: relay.destinationPort) else { return }
        if destination == membership!.local.address {
            guard relay.message.first == SerfMessageKind.queryResponse else { return }
            do {
                receiveSerfQueryResponse(try SerfQueryResponse(decoding: relay.message), now: now, into: &out)
            } catch {
                metrics.serfRefused[error.reason]?.increment()
                out.append(.refused(.serf(from: destination, error)))
            }
        } else if membership!.members.contains(where: { $0.address == destination && $0.state == .alive }) {
            // Handed on only to a live member: a relay must not make this node send to any address a
            // packet names.
            membership!.sendUserPacket(to: destination, relay.message, into: &membershipOut)
        }
    }
}
