#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import GossipRuntime
import MemberlistWire

/// `/v1/keys`: the keyring of every member, changed or listed through serf's key queries. Keys are secrets,
/// so every route here, the list included, needs what the write routes need.
extension GossipNode {
    func registerKeyringRoutes(on router: HTTPRouter, access: AdminAccess) {
        let node = self
        router.route(.GET, "/v1/keys") { (request: HTTPRequest) async -> HTTPResponse in
            if let refusal = Self.authorize(request, access: access) { return refusal }
            return await Self.keyringAnswer(node, .list)
        }
        for (verb, make) in [("install", KeyringOperation.install), ("use", KeyringOperation.use), ("remove", KeyringOperation.remove)] {
            router.route(.POST, "/v1/keys/\(verb)") { (request: HTTPRequest) async -> HTTPResponse in
                if let refusal = Self.authorize(request, access: access) { return refusal }
                guard let body = try? JSONDecoder().decode(AdminAPI.KeyRequest.self, from: Data(request.body)) else {
                    return .jsonError(.badRequest, "the body must be {\"key\": \"BASE64\"}")
                }
                guard let key = Base64.decode(body.key), [16, 24, 32].contains(key.count) else {
                    return .jsonError(.badRequest, "the key must be base64 of 16, 24 or 32 bytes (gossip-node keygen makes one)")
                }
                return await Self.keyringAnswer(node, make(key))
            }
        }
    }

    private static func keyringAnswer(_ node: GossipNode, _ operation: KeyringOperation) async -> HTTPResponse {
        guard let report = try? await node.changeKeyring(operation) else {
            return .jsonError(.serviceUnavailable, "node stopped")
        }
        return .encodedJSON(AdminAPI.KeyringReply(report))
    }
}
