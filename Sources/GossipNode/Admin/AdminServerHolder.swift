import GossipRuntime
import ProtocolSupport
final class AdminServerHolder: Sendable { var address: SocketAddress? { nil } }
extension GossipNode {
    public var adminAddress: SocketAddress? { admin.address }
    func startAdminServer(on address: SocketAddress) async throws(GossipNodeError) {}
    func stopAdminServer() async {}
}
