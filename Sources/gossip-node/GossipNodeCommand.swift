import ArgumentParser

/// `gossip-node`: run an agent, talk to a running one, make keys, or start a local demo cluster.
@main
struct GossipNodeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gossip-node",
        abstract: "A Plumtree gossip node with built-in observability, compatible with memberlist and serf.",
        discussion: """
        Exit status, for every command: 0 done (health: healthy); 1 the agent answered no (an error, \
        degraded or unhealthy health, an agent that could not start); 64 a wrong flag, setting or config \
        file; 69 the agent could not be reached, or what answered is not its admin API.
        """,
        version: GossipNodeVersion.text,
        subcommands: [
            AgentCommand.self, DemoCommand.self, MonitorCommand.self, MembersCommand.self, BroadcastCommand.self, HealthCommand.self, LeaveCommand.self,
            KeysCommand.self, KeygenCommand.self, SettingsCommand.self,
        ]
    )
}
