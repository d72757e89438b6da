#if canImport(Glibc)
import Glibc
#endif
import GossipNode
import ProtocolSupport
import Testing

/// Port 0 binds UDP and TCP on one port: when the OS's UDP choice has its TCP twin taken, the node binds
/// again on another port (memberlist does the same, up to ten times).
@Suite(.serialized) struct PortZeroBindingTests {
    /// Holds `count` TCP listeners on loopback ports the OS chooses; closes them on deinit.
    final class HeldPorts {
        private(set) var descriptors: [Int32] = []
        private(set) var ports: [UInt16] = []

        init(count: Int) {
            for _ in 0..<count {
                let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
                guard fd >= 0 else { break }
                var address = sockaddr_in()
                address.sin_family = sa_family_t(AF_INET)
                address.sin_addr.s_addr = inet_addr("127.0.0.1")
                address.sin_port = 0
                let bound = withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
                }
                guard bound == 0, listen(fd, 1) == 0 else { close(fd); continue }
                var length = socklen_t(MemoryLayout<sockaddr_in>.size)
                _ = withUnsafeMutablePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
                }
                descriptors.append(fd)
                ports.append(UInt16(bigEndian: address.sin_port))
            }
        }

        deinit { for fd in descriptors { close(fd) } }
    }

    @Test("20 nodes on port 0 start while 8,000 loopback TCP ports are held")
    func portZeroUnderPressure() async throws {
        let held = HeldPorts(count: 8_000)
        #expect(held.descriptors.count >= 7_000, "only \(held.descriptors.count) ports could be held")
        var nodes: [GossipNode] = []
        defer { let stopping = nodes; Task { for node in stopping { await node.shutdown() } } }
        for index in 1...20 {
            var configuration = GossipNodeConfiguration(name: "port0-\(index)", bind: SocketAddress(ipv4: 127, 0, 0, 1, port: 0),
                                                        profile: .local)
            configuration.logLevel = .error
            let node = try await GossipNode(configuration: configuration)
            nodes.append(node)
            try await node.start()
            let bound = try await node.boundAddress
            #expect(bound.port != 0)
            #expect(!held.ports.contains(bound.port), "node \(index) announced \(bound.port), whose TCP side is held")
        }
        for node in nodes { await node.shutdown() }
        nodes = []
    }

    @Test("a fixed port whose TCP side is taken fails with the error that names it")
    func fixedPortTaken() async throws {
        let held = HeldPorts(count: 1)
        let port = try #require(held.ports.first)
        let address = SocketAddress(ipv4: 127, 0, 0, 1, port: port)
        var configuration = GossipNodeConfiguration(name: "fixed", bind: address, profile: .local)
        configuration.logLevel = .error
        await #expect(throws: GossipNodeError.addressInUse(address)) {
            let node = try await GossipNode(configuration: configuration)
            await node.shutdown()
        }
    }
}
