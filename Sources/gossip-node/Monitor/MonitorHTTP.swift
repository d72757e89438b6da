import Foundation
import GossipNode
import ProtocolSupport

/// GETs JSON from the Prometheus and Alertmanager the monitor started, with the admin API's small client
/// (bounded in time and size). Go's servers send larger answers chunked, which that client leaves as is,
/// so the body is de-chunked here.
enum MonitorHTTP {
    static func getJSON(_ address: SocketAddress, _ path: String) async -> Any? {
        let client = AdminClient(address: address, timeout: .seconds(5))
        guard let response = try? await client.get(path), response.status == 200 else { return nil }
        let chunked = response.headers.contains {
            $0.name.lowercased() == "transfer-encoding" && $0.value.lowercased().contains("chunked")
        }
        guard let body = chunked ? dechunk(response.body) : response.body else { return nil }
        return try? JSONSerialization.jsonObject(with: Data(body))
    }

    /// Whether `path` answers 200 (Prometheus' and Alertmanager's `/-/ready`).
    static func isReady(_ address: SocketAddress, _ path: String = "/-/ready") async -> Bool {
        (try? await AdminClient(address: address, timeout: .seconds(2)).get(path))?.status == 200
    }

    /// HTTP/1.1 chunked transfer coding: hex size line, data, CRLF, until a zero size; nil when malformed.
    static func dechunk(_ raw: [UInt8]) -> [UInt8]? {
        var body: [UInt8] = []
        var index = 0
        while true {
            guard let lineEnd = find(crlfIn: raw, from: index) else { return nil }
            let sizeText = String(decoding: raw[index..<lineEnd], as: UTF8.self).split(separator: ";").first ?? ""
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16), size >= 0 else { return nil }
            if size == 0 { return body }
            let start = lineEnd + 2
            guard start + size <= raw.count else { return nil }
            body += raw[start..<(start + size)]
            index = start + size + 2
        }
    }

    private static func find(crlfIn raw: [UInt8], from start: Int) -> Int? {
        var index = start
        while index + 1 < raw.count {
            if raw[index] == 13 && raw[index + 1] == 10 { return index }
            index += 1
        }
        return nil
    }
}
