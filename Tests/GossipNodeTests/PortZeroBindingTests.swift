import Foundation
import GossipNode
import ProtocolSupport
import Testing

/// Port 0 binds UDP and TCP on one port: when the OS's UDP choice has its TCP twin taken, the node binds
/// again on another port (memberlist does the same, up to ten times).
@Suite(.serialized) struct PortZeroBindingTests {
    /// Holds `count` TCP listeners on loopback ports the OS chooses, in a child process: thousands of open
    /// descriptors in the test process itself would reach past what other tests' Process.run copes with
    /// (Foundation's spawn crashed with descriptors above FD_SETSIZE held).
    final class HeldPorts {
        private let process = Process()
        private let input = Pipe()
        private(set) var ports: [UInt16] = []

        init(count: Int) throws {
            let output = Pipe()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
            process.arguments = ["-c", Self.holder, String(count)]
            process.standardInput = input
            process.standardOutput = output
            try process.run()
            // The holder prints every port on one line once all are held, then waits for its stdin to close.
            var text = Data()
            let handle = output.fileHandleForReading
            while !text.contains(UInt8(ascii: "\n")) {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                text.append(chunk)
            }
            ports = String(decoding: text, as: UTF8.self).split(whereSeparator: \.isWhitespace).compactMap { UInt16($0) }
        }

        deinit {
            try? input.fileHandleForWriting.close()
            process.waitUntilExit()
        }

        private static let holder = """
            import socket, sys
            held = []
            for _ in range(int(sys.argv[1])):
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                try:
                    s.bind(("127.0.0.1", 0)); s.listen(1); held.append(s)
                except OSError:
                    s.close(); break
            print(" ".join(str(s.getsockname()[1]) for s in held), flush=True)
            sys.stdin.read()
            """
    }

    @Test("20 nodes on port 0 start while 8,000 loopback TCP ports are held")
    func portZeroUnderPressure() async throws {
        let held = try HeldPorts(count: 8_000)
        #expect(held.ports.count >= 7_000, "only \(held.ports.count) ports could be held")
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
        let held = try HeldPorts(count: 1)
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
