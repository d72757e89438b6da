#if canImport(Glibc)
import Glibc
#endif
import GossipNode
import GossipObservability
import ProtocolSupport
import Testing

/// Each component logs through its own logger, at its own level: a refused datagram under `network`, a
/// refused admin request under `admin`, and nothing from a component turned down.
@Suite struct NodeComponentLogTests {
    @Test("a refused datagram logs under network, a refused admin request under admin, a silenced protocol says nothing")
    func componentsLogApart() async throws {
        let sink = MemoryLogSink()
        let node = try await NodeLogTests.node("components") {
            $0.admin = SocketAddress(ipv4: 127, 0, 0, 1, port: 0)
            $0.logFormat = .json
            $0.logSink = sink
            $0.logLevel = .critical
            $0.logLevels = [.network: .warning, .admin: .info]
        }
        let bound = try await node.boundAddress
        let admin = try #require(node.adminAddress)

        // A memberlist message type nobody defined.
        try Self.sendDatagram([0xEE, 0x01, 0x02], to: bound)
        let refusedRequest = await onDedicatedThread { () -> Bool in
            guard let client = try? RawTCPClient(connectingTo: admin) else { return false }
            return (try? client.send(Array("NOT-HTTP\r\n\r\n".utf8))) != nil
        }
        #expect(refusedRequest, "sent a malformed request to the admin server")

        let logged = await eventually(timeout: .seconds(5)) {
            let lines = NodeLogTests.lines(sink)
            return lines.contains { $0.component == "network" } && lines.contains { $0.component == "admin" }
        }
        #expect(logged, "network and admin lines logged within 5 s")
        let lines = NodeLogTests.lines(sink)
        let refused = try #require(lines.first { $0.message == "packet refused" }, "\(sink.lines)")
        #expect(refused.component == "network" && refused.level == "warning")
        #expect(refused.metadata["reason"]?.isEmpty == false)
        #expect(lines.contains { $0.component == "admin" && $0.message == "admin request refused" })
        #expect(!lines.contains { $0.component == "protocol" }, "protocol at critical: no start or member lines")
        await node.shutdown()
    }

    static func sendDatagram(_ bytes: [UInt8], to address: SocketAddress) throws {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        try #require(fd >= 0)
        defer { close(fd) }
        var destination = sockaddr_in()
        destination.sin_family = sa_family_t(AF_INET)
        destination.sin_port = address.port.bigEndian
        destination.sin_addr.s_addr = UInt32(address.ip[0]) | UInt32(address.ip[1]) << 8 | UInt32(address.ip[2]) << 16 | UInt32(address.ip[3]) << 24
        let sent = withUnsafePointer(to: &destination) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                sendto(fd, bytes, bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        try #require(sent == bytes.count)
    }
}
