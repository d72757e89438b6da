import ArgumentParser
import GossipNode

/// `gossip-node settings`: every setting with its variable, its default under each profile and its meaning.
struct SettingsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "settings",
        abstract: "List every setting: config file key, GOSSIP_* variable, default under each profile, meaning.")

    func run() throws {
        print(SettingsReference.text)
    }
}
