import GossipNodeCore
import Plumtree
import ProtocolSupport

// The broadcast tree, as the members report it: asked on the loop, answered when the core's request ends.
// Callers share one request in flight, and a view younger than `treeReuse` is handed out again, so status
// pages polling from several browsers make the node query its members no more than once a second.
extension NodeEngine {
    static let treeReuse: Duration = .seconds(1)

    func broadcastTree(timeout: Duration, completion: @escaping (BroadcastTreeView) -> Void) {
        guard !stopped, !core.isLeft else {
            return completion(BroadcastTreeView(root: configuration.name, members: [:], unanswered: [], notAsked: []))
        }
        if let last = lastTree, loop.now < last.at + Self.treeReuse { return completion(last.view) }
        if let id = treeInFlight {
            treeWaiters[id, default: []].append(completion)
            return
        }
        let id = core.requestTree(timeout: timeout, now: loop.now, into: &outputs)
        treeInFlight = id
        treeWaiters[id, default: []].append(completion)
        carryOut()
    }

    func treeAnswered(id: UInt32, _ view: BroadcastTreeView) {
        if treeInFlight == id {
            treeInFlight = nil
            lastTree = (loop.now, view)
        }
        for waiter in treeWaiters.removeValue(forKey: id) ?? [] { waiter(view) }
    }
}
