import ArgumentParser

/// `gossip-node`: run an agent, talk to a running one, make keys, or start a local demo cluster.
@main
struct GossipNodeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gossip-node",
        abstract: "A Plumtree gossip node with built-in observability, compatible with memberlist and serf.",
        subcommands: [
            AgentCommand.self, DemoCommand.self, MembersCommand.self, BroadcastCommand.self, HealthCommand.self, LeaveCommand.self,
            KeygenCommand.self,
        ]
    )
}
