import ArgumentParser
import GossipNode
import ProtocolSupport

/// How the client subcommands reach a running agent.
struct AdminOptions: ParsableArguments {
    @Option(name: .long, help: "The agent's admin address (HOST:PORT).")
    var admin: String = "127.0.0.1:9101"

    @Option(name: .long, help: "The admin token, when the agent requires one. Visible in ps: prefer --token-file or GOSSIP_ADMIN_TOKEN.")
    var token: String?

    @Option(name: .customLong("token-file"), help: "A file holding the admin token.")
    var tokenFile: String?

    @Flag(name: .long, help: "Print the agent's answer as JSON.")
    var json = false

    func client() throws -> AdminClient {
        let address: SocketAddress
        do throws(ConfigurationError) {
            address = try ValueParsers.address(admin, key: "--admin", source: .flag)
        } catch {
            throw ValidationError("\(error)")
        }
        var token = self.token
        if token == nil, let tokenFile {
            do throws(ConfigurationError) {
                token = try AdminTokenFile.read(tokenFile, key: "--token-file", source: .flag)
            } catch {
                throw ValidationError("\(error)")
            }
        }
        token = token ?? environmentValue("GOSSIP_ADMIN_TOKEN")
        return AdminClient(address: address, token: token)
    }
}

/// Calls the admin API and turns its failures into a clear message and a non-zero exit.
func callAdmin(_ body: () throws(AdminClient.Failure) -> AdminClient.Response) throws -> AdminClient.Response {
    let response: AdminClient.Response
    do {
        response = try body()
    } catch {
        printError("error: \(unreachableMessage(error))")
        throw ExitStatus.unreachable
    }
    guard (200..<300).contains(response.status) else {
        printError("error: the agent answered \(response.status): \(response.text)")
        throw ExitStatus.refused
    }
    return response
}

/// Why the admin API could not be used, with what to check.
func unreachableMessage(_ failure: AdminClient.Failure) -> String {
    switch failure {
    case .malformedResponse, .timedOut:
        return "\(failure); is --admin the agent's admin address (its --admin), not its gossip port (its --bind)?"
    case .connectFailed(let address, _):
        return "\(failure) (the agent's --admin \(address))"
    case .responseTooLarge:
        return "\(failure)"
    }
}
