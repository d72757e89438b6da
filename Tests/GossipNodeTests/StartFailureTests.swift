#if canImport(Glibc)
import Glibc
#endif
import Foundation
import GossipNode
import GossipTestSupport
import ProtocolSupport
import Testing

/// Every way `GossipNode.init` and `start()` can fail, each many times over: the error is typed and names
/// the problem, and nothing the node opened is left behind, no socket on its address and no loop thread.
/// `make sanitize` runs this suite under AddressSanitizer too, where a callback that reached a freed owner
/// would abort the run.
@Suite(.serialized) struct StartFailureTests {
    static let rounds = 12

    enum FailurePoint: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case adminOffLoopbackWithoutToken, tagsTooLarge, listensEverywhereWithoutAdvertise, udpPortInUse,
             tcpSideInUse, invalidKey, emptyName, adminAddressInUse, seedsUnreachable, shutdownBeforeStart

        var testDescription: String { rawValue }

        /// An address of its own (all of 127.0.0.0/8 is loopback), so what is bound there is this node's.
        var ip: [UInt8] { [127, 77, UInt8(Self.allCases.firstIndex(of: self)! + 1), 1] }
    }

    static func configuration(_ name: String, ip: [UInt8], port: UInt16 = 0) -> GossipNodeConfiguration {
        var configuration = GossipNodeConfiguration(
            name: name, bind: SocketAddress(ipv4: ip[0], ip[1], ip[2], ip[3], port: port), profile: .local)
        configuration.logLevel = .critical
        return configuration
    }

    /// Whether the loop thread of the node named `name` still runs (the loop names its thread).
    static func loopThreadRuns(_ name: String) -> Bool {
        let wanted = String(decoding: Array("gossip-\(name)".utf8.prefix(15)), as: UTF8.self)
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        return tasks.contains { task in threadName("/proc/self/task/\(task)/comm") == wanted }
    }

    /// A thread's name, read with open/read: Foundation's file reading leaks its 4 KiB buffer when the read
    /// fails, as it does for a thread that exits between the listing and the read (LeakSanitizer caught it
    /// in `make sanitize`).
    static func threadName(_ path: String) -> String {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { return "" }
        defer { close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: 64)
        let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        guard count > 0 else { return "" }
        return String(decoding: buffer[..<count], as: UTF8.self).trimmingCharacters(in: .newlines)
    }

    static func expectNothingLeft(_ name: String, on ip: [UInt8], _ point: FailurePoint) async {
        #expect(ListeningSockets.bound(toIPv4: ip) == [], "\(point.rawValue): the node left sockets open")
        // The loop thread has been joined, but the kernel may list an exited thread for a moment longer.
        let ended = await eventually(timeout: .seconds(2), every: .milliseconds(5)) { !loopThreadRuns(name) }
        #expect(ended, "\(point.rawValue): waited 2 s for the node's loop thread to end")
    }

    /// Creates the node, and starts it when `startFails`, and returns the error that stopped it (nil when none did).
    static func failure(_ configuration: GossipNodeConfiguration, startFails: Bool = false) async -> GossipNodeError? {
        do {
            let node = try await GossipNode(configuration: configuration)
            guard startFails else {
                await node.shutdown()
                return nil
            }
            do {
                try await node.start()
            } catch {
                // A failed start has shut the node down: it cannot be used, and shutting down again is harmless.
                do {
                    try await node.broadcast([1])
                    Issue.record("a node whose start failed still broadcast")
                } catch {
                    #expect(error == .stopped)
                }
                await node.shutdown()
                return error
            }
            await node.shutdown()
            return nil
        } catch {
            return error
        }
    }

    @Test(arguments: FailurePoint.allCases)
    func failsWithATypedErrorAndLeavesNothing(_ point: FailurePoint) async throws {
        let ip = point.ip
        for round in 1...Self.rounds {
            let name = "sf\(round)-\(point.ip[2])"
            var configuration = Self.configuration(name, ip: ip)
            switch point {
            case .adminOffLoopbackWithoutToken:
                configuration.admin = SocketAddress(ipv4: 10, 0, 0, 1, port: 9999)
                #expect(await Self.failure(configuration) == .adminUnauthenticated(SocketAddress(ipv4: 10, 0, 0, 1, port: 9999)))

            case .tagsTooLarge:
                configuration.tags = ["big": String(repeating: "x", count: 1_000)]
                guard case .tagsTooLarge = await Self.failure(configuration) else {
                    Issue.record("tags over 512 bytes should be refused as too large"); return
                }

            case .listensEverywhereWithoutAdvertise:
                configuration.bind = SocketAddress(ipv4: 0, 0, 0, 0, port: 0)
                guard case .invalidConfiguration(let text) = await Self.failure(configuration) else {
                    Issue.record("binding 0.0.0.0 without advertise should be refused"); return
                }
                #expect(text.contains("advertise"))

            case .udpPortInUse:
                let held = try HeldPort(.udp, ip: ip)
                configuration.bind = SocketAddress(ipv4: ip[0], ip[1], ip[2], ip[3], port: held.port)
                #expect(await Self.failure(configuration) == .addressInUse(configuration.bind))
                withExtendedLifetime(held) {}

            case .tcpSideInUse:
                // The UDP side binds, the TCP side does not: the UDP socket must be closed again.
                let held = try HeldPort(.tcp, ip: ip)
                configuration.bind = SocketAddress(ipv4: ip[0], ip[1], ip[2], ip[3], port: held.port)
                #expect(await Self.failure(configuration) == .addressInUse(configuration.bind))
                withExtendedLifetime(held) {}

            case .invalidKey:
                // Checked once the sockets are bound.
                configuration.encryptionKeys = [[1, 2, 3]]
                guard case .invalidKey = await Self.failure(configuration) else {
                    Issue.record("a 3-byte key should be refused"); return
                }

            case .emptyName:
                configuration.name = ""
                guard case .invalidConfiguration(let text) = await Self.failure(configuration) else {
                    Issue.record("an empty name should be refused"); return
                }
                #expect(text.contains("name"))

            case .adminAddressInUse:
                // init succeeds; start binds the membership sockets, then fails on the admin address.
                let held = try HeldPort(.tcp, ip: ip)
                configuration.admin = SocketAddress(ipv4: ip[0], ip[1], ip[2], ip[3], port: held.port)
                #expect(await Self.failure(configuration, startFails: true) == .addressInUse(configuration.admin!))
                withExtendedLifetime(held) {}

            case .seedsUnreachable:
                // Not fatal: the node runs on and retries. Everything is closed once it shuts down.
                let seed = try HeldPort(.tcp, ip: [127, 77, 200, 1])
                configuration.seeds = [.address(SocketAddress(ipv4: 127, 77, 200, 1, port: seed.port))]
                let node = try await GossipNode(configuration: configuration)
                do {
                    try await node.start()
                    Issue.record("a seed that refuses should fail the join")
                } catch {
                    guard case .seedsUnreachable(let reasons) = error else { Issue.record("unexpected \(error)"); return }
                    #expect(reasons.count == 1)
                }
                #expect(Self.loopThreadRuns(name), "the node runs on after its seeds did not answer")
                #expect(!ListeningSockets.bound(toIPv4: ip).isEmpty, "the node still listens after its seeds did not answer")
                await node.shutdown()
                withExtendedLifetime(seed) {}

            case .shutdownBeforeStart:
                let node = try await GossipNode(configuration: configuration)
                await node.shutdown()
                await #expect(throws: GossipNodeError.stopped) { try await node.start() }
            }
            await Self.expectNothingLeft(name, on: ip, point)
        }
    }
}
