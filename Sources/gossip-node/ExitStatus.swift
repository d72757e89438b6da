import ArgumentParser

/// The one exit-status scheme of every `gossip-node` command (README, "Exit status"), after sysexits(3):
enum ExitStatus {
    /// The command did what it was asked; `health`: the agent is healthy.
    static let success = ExitCode.success
    /// The agent or node answered, and the answer was no: an error status, degraded or unhealthy health,
    /// an agent that could not start.
    static let refused = ExitCode(1)
    /// The command line, a setting or a config file is wrong (what argument parsing also exits with).
    static let usage = ExitCode.validationFailure
    /// The agent could not be reached, or what answered was not its admin API.
    static let unreachable = ExitCode(69)
}

/// The version `--version` prints: the Plumtree protocol version the node speaks is in its `plumtree` tag.
enum GossipNodeVersion {
    static let text = "gossip-node 0.9.0"
}
