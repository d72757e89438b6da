import GossipNodeCore
import Plumtree

// The broadcast tree, as the members report it: asked on the loop, answered when the core's request ends.
extension NodeEngine {
    func broadcastTree(timeout: Duration, completion: @escaping (BroadcastTreeView) -> Void) {
        guard !stopped, !core.isLeft else {
            return completion(BroadcastTreeView(root: configuration.name, members: [:], unanswered: [], notAsked: []))
        }
        let id = core.requestTree(timeout: timeout, now: loop.now, into: &outputs)
        treeWaiters[id] = completion
        carryOut()
    }
}
