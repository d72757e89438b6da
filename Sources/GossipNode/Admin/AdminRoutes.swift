#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import GossipObservability
import GossipRuntime
import ProtocolSupport

/// The admin HTTP routes of a node: /metrics and /health (docs/MONITORING.md) beside the JSON admin API
/// the CLI uses (docs in ``AdminAPI``).
extension GossipNode {
    func registerAdminRoutes(on router: HTTPRouter, access: AdminAccess) {
        let node = self
        router.route(.GET, "/metrics") { (_: HTTPRequest) -> HTTPResponse in
            guard let metrics = node.metrics else {
                return .jsonError(.notFound, "this node records into the embedding service's metrics factory")
            }
            return HTTPResponse(answer: ObservabilityEndpoints.metrics(metrics))
        }
        router.route(.GET, "/health") { (_: HTTPRequest) async -> HTTPResponse in
            guard let report = try? await node.health() else { return .jsonError(.serviceUnavailable, "node stopped") }
            return HTTPResponse(answer: ObservabilityEndpoints.health(report))
        }
        router.route(.GET, "/health/live") { (_: HTTPRequest) -> HTTPResponse in
            HTTPResponse(answer: ObservabilityEndpoints.live(node.watchdog, now: node.loop.now))
        }
        router.route(.GET, "/health/ready") { (_: HTTPRequest) async -> HTTPResponse in
            guard let report = try? await node.health() else { return .jsonError(.serviceUnavailable, "node stopped") }
            return HTTPResponse(answer: ObservabilityEndpoints.ready(report))
        }
        router.route(.GET, "/v1/members") { (_: HTTPRequest) async -> HTTPResponse in
            guard let members = try? await node.members() else { return .jsonError(.serviceUnavailable, "node stopped") }
            let reply = AdminAPI.MembersReply(members: members.map {
                AdminAPI.Member(name: $0.name, address: $0.address.description, state: $0.state.rawValue,
                                incarnation: $0.incarnation, tags: $0.tags)
            })
            return .encodedJSON(reply)
        }
        router.route(.POST, "/v1/broadcast") { (request: HTTPRequest) async -> HTTPResponse in
            if let refusal = Self.authorize(request, access: access) { return refusal }
            do throws(GossipNodeError) {
                let id = try await node.broadcast(request.body)
                return .encodedJSON(AdminAPI.BroadcastReply(id: id))
            } catch {
                return .jsonError(error.broadcastStatus, error.description)
            }
        }
        registerKeyringRoutes(on: router, access: access)
        registerStatusRoutes(on: router)
        router.route(.POST, "/v1/leave") { (request: HTTPRequest) async -> HTTPResponse in
            if let refusal = Self.authorize(request, access: access) { return refusal }
            // Answer first, then leave: the leave takes up to leaveTimeout and ends with the node stopping.
            Task { try? await node.leave(); node.stoppedSignal.fire() }
            return .json(.accepted, "{\"leaving\":true}")
        }
    }

    /// Write routes need the token whenever one is configured, and are off when the server runs off
    /// loopback without one: an admin address other hosts reach must not let them broadcast or stop the node.
    static func authorize(_ request: HTTPRequest, access: AdminAccess) -> HTTPResponse? {
        switch access {
        case .open:
            return nil
        case .readOnly:
            return .jsonError(.init(code: 403),
                              "write routes are off: this admin server runs off loopback without a token; set admin_token_file to use them")
        case .token(let token):
            guard AdminToken.authorizes(header: request.headers["Authorization"], token: token) else {
                return .jsonError(.init(code: 401), "missing or wrong admin token: send Authorization: Bearer TOKEN")
            }
            return nil
        }
    }
}

extension HTTPResponse {
    init(answer: HTTPAnswer) {
        self.init(status: HTTPStatus(code: answer.status), contentType: answer.contentType, body: answer.body)
    }

    static func encodedJSON<T: Encodable>(_ value: T) -> HTTPResponse {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let data = try? encoder.encode(value) else { return .jsonError(.internalServerError, "encoding failed") }
        return HTTPResponse(status: .ok, contentType: "application/json; charset=utf-8", body: Array(data))
    }
}
