import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif
import GossipNode
import ProtocolSupport

/// A chat over gossip: every line typed on one node appears on all the others.
///
/// ```
/// gossip-chat --name alice --bind 127.0.0.1:7001
/// gossip-chat --name bob --bind 127.0.0.1:7002 --join 127.0.0.1:7001
/// ```
@main
struct ChatCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gossip-chat", abstract: "Chat over a Plumtree gossip cluster: type a line, everyone sees it.")

    @Option(help: "Your name in the chat (and the node's name).") var name: String
    @Option(help: "HOST:PORT to listen on.") var bind: String = "127.0.0.1:0"
    @Option(help: "HOST:PORT of someone already in the chat; repeatable.") var join: [String] = []

    func run() async throws {
        var configuration = GossipNodeConfiguration(name: name, bind: try SocketAddress(parsing: bind), profile: .local)
        configuration.seeds = try join.map { try Seed(parsing: $0) }
        configuration.logLevel = .warning
        let node = try await GossipNode(configuration: configuration)
        do {
            try await node.start()
        } catch {
            // Whoever we tried to join is not up yet: the node keeps retrying in the background.
            guard case .seedsUnreachable = error else { throw error }
            print("* nobody answered at \(join.joined(separator: ", ")) yet; retrying")
        }
        print("* \(name) joined on \(try await node.boundAddress); type a line and press enter (Ctrl-D to leave)")
        fflush(nil)

        // Lines from others, as they arrive.
        let printer = Task {
            for await message in node.messages {
                print("[\(message.origin)] \(String(decoding: message.payload, as: UTF8.self))")
                fflush(nil)  // a pipe would otherwise hold the line back
            }
        }
        // Lines typed here: stdin is read on its own thread so the node's loop never waits for the terminal.
        for await line in StandardInputLines() where !line.isEmpty {
            do {
                _ = try await node.broadcast(Array(line.utf8))
            } catch {
                print("* not sent: \(error)")
            }
        }
        try await node.leave()
        printer.cancel()
        await node.shutdown()
    }
}
