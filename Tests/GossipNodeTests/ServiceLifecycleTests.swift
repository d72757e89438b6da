import GossipNode
import Logging
import ServiceLifecycle
import Testing

/// The node as a swift-service-lifecycle Service: runs in a ServiceGroup, leaves on graceful shutdown.
@Suite struct ServiceLifecycleTests {
    static func configuration(_ name: String, seeds: [SocketAddress] = []) -> GossipNodeConfiguration {
        var configuration = GossipNodeConfiguration(name: name, bind: SocketAddress(ipv4: 127, 0, 0, 1, port: 0), profile: .local)
        configuration.seeds = seeds.map(Seed.address)
        configuration.logLevel = .critical
        configuration.leaveTimeout = .seconds(3)
        return configuration
    }

    static func state(of name: String, at node: GossipNode) async -> MemberInfo.State? {
        (try? await node.members())?.first { $0.name == name }?.state
    }

    @Test func aNodeInAServiceGroupJoinsAndLeavesOnGracefulShutdown() async throws {
        let observer = try await GossipNode(configuration: Self.configuration("observer"))
        try await observer.start()
        let service = try await GossipNode(configuration: Self.configuration("service", seeds: [try await observer.boundAddress]))
        let group = ServiceGroup(configuration: .init(services: [.init(service: service)], logger: Logger(label: "test")))
        let running = Task { try await group.run() }

        var joined = false
        for _ in 0..<200 where !joined {
            joined = await Self.state(of: "service", at: observer) == .alive
            if !joined { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(joined, "the service's node should join through its seed")

        await group.triggerGracefulShutdown()
        try await running.value
        var left = false
        for _ in 0..<200 where !left {
            left = await Self.state(of: "service", at: observer) == .left
            if !left { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(left, "graceful shutdown should make the node leave, seen as left by the others")
        await observer.shutdown()
    }

    @Test func seedsThatAreNotUpYetDoNotStopTheService() async throws {
        let scratch = try await GossipNode(configuration: Self.configuration("scratch"))
        let vacant = try await scratch.boundAddress
        await scratch.shutdown()
        let service = try await GossipNode(configuration: Self.configuration("patient", seeds: [vacant]))
        let group = ServiceGroup(configuration: .init(services: [.init(service: service)], logger: Logger(label: "test")))
        let running = Task { try await group.run() }
        try await Task.sleep(for: .milliseconds(500))
        #expect(try await service.members().map(\.name) == ["patient"], "the node runs alone, retrying its seed")
        await group.triggerGracefulShutdown()
        try await running.value
    }
}
