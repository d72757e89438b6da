import GossipRuntime

/// `GET /ui`, the status page, and the two documents it reads. All three are read routes: like /health
/// and /v1/members they show the cluster, change nothing, and are served wherever the admin server is.
extension GossipNode {
    func registerStatusRoutes(on router: HTTPRouter) {
        let node = self
        router.route(.GET, "/ui") { (_: HTTPRequest) -> HTTPResponse in
            HTTPResponse(status: .ok, contentType: "text/html; charset=utf-8", body: StatusPageHTML.bytes)
        }
        router.route(.GET, "/v1/status") { (_: HTTPRequest) async -> HTTPResponse in
            guard let health = try? await node.health(), let members = try? await node.members(),
                  let plumtree = try? await node.plumtreeSnapshot(), let address = try? await node.boundAddress
            else { return .jsonError(.serviceUnavailable, "node stopped") }
            return .encodedJSON(StatusAPI.status(name: node.configuration.name, address: address.description, health: health,
                                                 members: members, plumtree: plumtree))
        }
        router.route(.GET, "/v1/tree") { (_: HTTPRequest) async -> HTTPResponse in
            guard let view = try? await node.broadcastTree() else { return .jsonError(.serviceUnavailable, "node stopped") }
            return .encodedJSON(StatusAPI.Tree(view))
        }
    }
}
