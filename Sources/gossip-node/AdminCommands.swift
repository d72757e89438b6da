import Foundation
import ArgumentParser
import GossipNode

/// `gossip-node members`: the members a running agent knows, with their state.
struct MembersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "members", abstract: "List the members a running agent knows.")
    @OptionGroup var options: AdminOptions

    func run() throws {
        let client = try options.client()
        let response = try callAdmin { () throws(AdminClient.Failure) in try client.get("/v1/members") }
        if options.json {
            print(response.text)
            return
        }
        let members = try AdminJSON.members(response.body)
        let width = max(4, members.map(\.name.count).max() ?? 0)
        for member in members {
            let tags = member.tags.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
            print(member.name.padding(width) + "  " + member.address.padding(22) + "  " + member.state.padding(7) + "  " + tags)
        }
    }
}

/// `gossip-node broadcast PAYLOAD` (or the payload from standard input): broadcast through a running agent.
struct BroadcastCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "broadcast", abstract: "Broadcast a payload to the cluster through a running agent.")
    @OptionGroup var options: AdminOptions
    @Argument(help: "The payload; read from standard input when omitted.")
    var payload: String?

    func run() throws {
        let client = try options.client()
        let bytes: [UInt8]
        if let payload {
            bytes = Array(payload.utf8)
        } else {
            var input: [UInt8] = []
            while let line = readLine(strippingNewline: false) { input += Array(line.utf8) }
            bytes = input
        }
        guard !bytes.isEmpty else {
            throw ValidationError("nothing to broadcast: give the payload as an argument or on standard input")
        }
        let response = try callAdmin { () throws(AdminClient.Failure) in try client.post("/v1/broadcast", body: bytes) }
        print(options.json ? response.text : (try AdminJSON.string(response.body, key: "id") ?? response.text))
    }
}

/// `gossip-node health`: the agent's health report; exits 0 healthy, 1 degraded or unhealthy.
struct HealthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "health", abstract: "Show a running agent's health.")
    @OptionGroup var options: AdminOptions

    func run() throws {
        let client = try options.client()
        let response: AdminClient.Response
        do {
            response = try client.get("/health")
        } catch {
            printError("error: \(unreachableMessage(error))")
            throw ExitStatus.unreachable
        }
        if options.json {
            print(response.text)
        } else {
            let report = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any] ?? [:]
            print("status: \(report["status"] as? String ?? "unknown")")
            // Each reason as the health model states it: its code, its severity and what it means.
            for reason in report["reasons"] as? [[String: Any]] ?? [] {
                let code = reason["code"] as? String ?? "?"
                let severity = reason["severity"] as? String ?? "?"
                print("  - \(code) (\(severity)): \(reason["message"] as? String ?? "")")
            }
        }
        if response.status != 200 { throw ExitStatus.refused }
    }
}

/// `gossip-node leave`: ask a running agent to leave the cluster gracefully and stop.
struct LeaveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "leave", abstract: "Make a running agent leave the cluster gracefully; the agent then exits.")
    @OptionGroup var options: AdminOptions

    func run() throws {
        let client = try options.client()
        let response = try callAdmin { () throws(AdminClient.Failure) in try client.post("/v1/leave") }
        print(options.json ? response.text : "left")
    }
}

extension String {
    func padding(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
}
