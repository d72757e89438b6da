import ProtocolSupport

/// A tree query this node sent and the reports gathered so far.
struct TreeRequest {
    var waiting: Set<String>
    var reports: [String: BroadcastTreeView.Neighbours]
    var notAsked: [String]
    var deadline: Instant
}

// Drawing the broadcast tree (protocol version 2): a node asks every member it speaks version 2 with for its
// neighbours (TreeQuery) and gathers the answers (TreeReport) into one view, reported when every member has
// answered or at the deadline. A query is answered at the Graft rate limit, so a member cannot make this
// node answer faster than it would serve Grafts; answering adds no neighbour and changes no role.
extension PlumtreeCore {
    /// The lowest protocol version with tree queries.
    static let treeVersion: UInt8 = 2

    /// Asks every member that speaks version 2 for its neighbours; returns the request's id, which the
    /// ``PlumtreeOutput/tree(id:_:)`` that ends it carries.
    public mutating func requestTree(timeout: Duration, now: Instant, into output: inout [PlumtreeOutput]) -> UInt32 {
        var id = UInt32(truncatingIfNeeded: random.next())
        while treeRequests[id] != nil { id &+= 1 }
        var request = TreeRequest(waiting: [], reports: [localID: ownNeighbours], notAsked: [], deadline: now + timeout)
        for slot in members {
            if peers[slot].version >= Self.treeVersion {
                request.waiting.insert(peers[slot].name)
                send(.treeQuery(id: id), to: slot, into: &output)
            } else {
                request.notAsked.append(peers[slot].name)
            }
        }
        treeRequests[id] = request
        finishTreeIfComplete(id, into: &output)
        return id
    }

    var ownNeighbours: BroadcastTreeView.Neighbours {
        BroadcastTreeView.Neighbours(eager: eager.map { peers[$0].name }, lazy: lazy.map { peers[$0].name })
    }

    mutating func onTreeQuery(id: UInt32, from slot: Int, now: Instant, into output: inout [PlumtreeOutput]) {
        guard admitsRequest(from: slot, now: now) else { return }
        let own = ownNeighbours
        let limit = PlumtreeMessage.maxTreeNeighbours
        send(.treeReport(id: id, eager: Array(own.eager.prefix(limit)), lazy: Array(own.lazy.prefix(limit))), to: slot, into: &output)
    }

    mutating func onTreeReport(id: UInt32, eager: [String], lazy: [String], from slot: Int, into output: inout [PlumtreeOutput]) {
        let name = peers[slot].name
        guard var request = treeRequests[id], request.waiting.remove(name) != nil else { return }
        request.reports[name] = BroadcastTreeView.Neighbours(eager: eager, lazy: lazy)
        treeRequests[id] = request
        finishTreeIfComplete(id, into: &output)
    }

    private mutating func finishTreeIfComplete(_ id: UInt32, into output: inout [PlumtreeOutput]) {
        guard let request = treeRequests[id], request.waiting.isEmpty else { return }
        treeRequests[id] = nil
        output.append(.tree(id: id, view(of: request)))
    }

    /// Ends the requests whose deadline has passed with what they have.
    mutating func expireTreeRequests(now: Instant, into output: inout [PlumtreeOutput]) {
        for id in treeRequests.keys.sorted() where treeRequests[id]!.deadline <= now {
            let request = treeRequests.removeValue(forKey: id)!
            output.append(.tree(id: id, view(of: request)))
        }
    }

    var nextTreeDeadline: Instant? { treeRequests.values.map(\.deadline).min() }

    private func view(of request: TreeRequest) -> BroadcastTreeView {
        BroadcastTreeView(root: localID, members: request.reports, unanswered: Array(request.waiting), notAsked: request.notAsked)
    }
}
