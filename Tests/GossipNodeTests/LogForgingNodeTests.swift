#if canImport(Glibc)
import Glibc
#endif
import GossipNode
import GossipObservability
import Logging
import MemberlistWire
import Testing

/// End to end: one unauthenticated UDP Alive whose member name holds a newline and a fake `critical` line
/// reaches a real node, which logs the new member in the text format. The forged line must not appear.
@Suite struct LogForgingNodeTests {
    @Test func anAliveWithANewlineInItsNameCannotForgeALogLine() async throws {
        let sink = MemoryLogSink()
        var configuration = GossipNodeConfiguration(name: "forge-target", bind: SocketAddress(ipv4: 127, 0, 0, 1, port: 0), profile: .local)
        configuration.logger = Logger(label: "gossip.protocol") { label in
            GossipLogHandler(label: label, format: .text, level: .info, sink: sink)
        }
        let node = try await GossipNode(configuration: configuration)
        try await node.start()
        let target = try await node.boundAddress

        let forgedName = "mallory\n2026-01-02T03:04:05.006Z critical protocol: cluster compromised"
        let alive = Alive(incarnation: 1, node: forgedName, addr: [127, 0, 0, 1], port: 1, vsn: .serfAgent)
        try sendDatagram(PacketMessage.alive(alive).encoded(), to: target)

        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline, !sink.lines.contains(where: { $0.contains("peer joined") && $0.contains("mallory") }) {
            try await Task.sleep(for: .milliseconds(20))
        }
        await node.shutdown()
        let joined = try #require(sink.lines.first { $0.contains("peer joined") && $0.contains("mallory") }, "\(sink.lines)")
        #expect(joined.contains("member=\"mallory\\n2026-01-02T03:04:05.006Z critical protocol: cluster compromised\""), "\(joined)")
        for line in sink.lines {
            #expect(!line.unicodeScalars.contains("\n") && !line.unicodeScalars.contains("\r"), "one event, one line: \(line)")
            #expect(!line.hasPrefix("2026-01-02T03:04:05.006Z critical"))
        }
    }

    private func sendDatagram(_ bytes: [UInt8], to address: SocketAddress) throws {
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
