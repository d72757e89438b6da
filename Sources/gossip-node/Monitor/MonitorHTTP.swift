import Foundation
import GossipNode
import ProtocolSupport

/// GETs JSON from the Prometheus and Alertmanager the monitor started, with the admin API's small client
/// (bounded in time and size; it reads Go's chunked answers too).
enum MonitorHTTP {
    static func getJSON(_ address: SocketAddress, _ path: String) async -> Any? {
        let client = AdminClient(address: address, timeout: .seconds(5))
        guard let response = try? await client.get(path), response.status == 200 else { return nil }
        return try? JSONSerialization.jsonObject(with: Data(response.body))
    }

    /// Whether `path` answers 200 (Prometheus' and Alertmanager's `/-/ready`).
    static func isReady(_ address: SocketAddress, _ path: String = "/-/ready") async -> Bool {
        (try? await AdminClient(address: address, timeout: .seconds(2)).get(path))?.status == 200
    }
}
