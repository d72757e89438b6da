import ArgumentParser
import Foundation
import GossipNode

/// `gossip-node keys`: install, use, remove or list the encryption keys of every member through a running
/// agent, as `serf keys` does and through the same serf queries: serf agents in the cluster take part.
/// Exits 0 when every member answered and none failed, 1 otherwise.
struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Rotate or list the encryption keys of every member (serf agents included).",
        discussion: """
        A rotation without downtime: --install NEW, then --use NEW, then --remove OLD, each step only once \
        the last one reached every member. Keys are base64 of 16, 24 or 32 bytes (gossip-node keygen).
        """
    )
    @OptionGroup var options: AdminOptions
    @Option(help: "Install this key on every member (used to decrypt; not yet to encrypt).")
    var install: String?
    @Option(help: "Make this installed key the one every member encrypts with.")
    var use: String?
    @Option(help: "Remove this key from every member (not the one in use).")
    var remove: String?
    @Flag(help: "List the keys installed on the members, with how many hold each.")
    var list = false

    func validate() throws {
        let chosen = [install != nil, use != nil, remove != nil, list].filter { $0 }.count
        guard chosen == 1 else { throw ValidationError("give exactly one of --install, --use, --remove or --list") }
        for key in [install, use, remove].compactMap({ $0 }) {
            guard let bytes = Base64.decode(key), [16, 24, 32].contains(bytes.count) else {
                throw ValidationError("'\(key)' is not a key: base64 of 16, 24 or 32 bytes (gossip-node keygen makes one)")
            }
        }
    }

    func run() throws {
        var client = try options.client()
        // A query waits for every member up to serf's query timeout (a few seconds); leave room for it.
        client.timeout = max(client.timeout, .seconds(30))
        let response: AdminClient.Response
        if list {
            response = try callAdmin { () throws(AdminClient.Failure) in try client.get("/v1/keys") }
        } else {
            let (verb, key) = install.map { ("install", $0) } ?? use.map { ("use", $0) } ?? ("remove", remove ?? "")
            let body = try JSONEncoder().encode(AdminAPI.KeyRequest(key: key))
            response = try callAdmin { () throws(AdminClient.Failure) in
                try client.post("/v1/keys/\(verb)", body: Array(body), contentType: "application/json")
            }
        }
        let reply = try AdminJSON.keyring(response.body)
        if options.json {
            print(response.text)
        } else {
            print(KeysCommand.describe(reply))
        }
        if !reply.succeeded { throw ExitStatus.refused }
    }

    /// What `serf keys` prints, in the same words where they exist.
    static func describe(_ reply: AdminAPI.KeyringReply) -> String {
        var lines = ["\(reply.operation): \(reply.answered) of \(reply.members) members answered, \(reply.failures.count) failed"]
        for failure in reply.failures.sorted(by: { $0.member < $1.member }) {
            lines.append("  \(failure.member): \(failure.message)")
        }
        if reply.operation == "list" {
            lines.append("Keys installed (members holding each):")
            for (key, count) in reply.keys.sorted(by: { $0.key < $1.key }) {
                let primary = reply.primaryKeys[key].map { ", primary on \($0)" } ?? ""
                lines.append("  \(key) [\(count)/\(reply.members)\(primary)]")
            }
        }
        return lines.joined(separator: "\n")
    }
}
