import CoreMetrics
import GossipRuntime
import ProtocolSupport
import Synchronization

/// The node's admin HTTP server, once started, and the address it listens on.
final class AdminServerHolder: Sendable {
    private let state = Mutex<(server: AdminHTTPServer?, address: SocketAddress?)>((nil, nil))

    var address: SocketAddress? { state.withLock { $0.address } }

    func set(_ server: AdminHTTPServer, address: SocketAddress) { state.withLock { $0 = (server, address) } }

    func take() -> AdminHTTPServer? { state.withLock { state in defer { state.server = nil }; return state.server } }
}

extension GossipNode {
    /// Where the admin HTTP server listens (/metrics, /health, admin API), once started.
    public var adminAddress: SocketAddress? { admin.address }

    func startAdminServer(on address: SocketAddress) async throws(GossipNodeError) {
        let access = try AdminAccess.decide(address: address, token: configuration.adminToken,
                                            allowUnauthenticated: configuration.adminAllowUnauthenticated)
        if access == .readOnly {
            loggers.admin.warning("admin server off loopback without a token: read routes answer anyone who reaches it, write routes are off",
                           metadata: ["admin": "\(address)", "setting": "admin_allow_unauthenticated"])
        }
        let router = HTTPRouter()
        registerAdminRoutes(on: router, access: access)
        do {
            let metrics = AdminServerMetrics(
                factory: configuration.metricsFactory ?? self.metrics ?? NOOPMetricsHandler.instance, logger: loggers.admin,
                now: { [loop] in loop.now })
            let server = try await AdminHTTPServer.start(
                on: loop, configuration: AdminHTTPServerConfiguration(address: address), router: router,
                observer: metrics.observer)
            admin.set(server, address: server.localAddress)
        } catch RuntimeError.addressInUse {
            throw .addressInUse(address)
        } catch {
            throw .bindFailed(address, reason: "\(error)")
        }
    }

    func stopAdminServer() async {
        if let server = admin.take() { await server.stop() }
    }
}
