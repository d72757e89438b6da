import Foundation

/// A real Debian `serf` agent on loopback, stopped by its own PID. It binds port 0 for both memberlist and
/// RPC; the ports the kernel chose are read back from the running process.
public final class SerfAgent: @unchecked Sendable {
    // @unchecked: immutable after init; ManagedProcess is safe to share.
    public let name: String
    public let bindPort: UInt16
    public let rpcPort: UInt16
    /// The IP literal memberlist binds (`127.0.0.1`, `::1`); RPC stays on IPv4 loopback.
    public let bindHost: String
    public let process: ManagedProcess
    private let serf: String

    public struct Missing: Error, CustomStringConvertible {
        public init() {}
        public var description: String { "serf is not installed: run `make deps`" }
    }

    /// One member as `serf members -format=json` reports it.
    public struct Member: Decodable, Sendable, Equatable {
        public var name: String
        public var addr: String
        public var port: Int
        public var tags: [String: String]
        public var status: String
    }

    private struct MembersReply: Decodable { var members: [Member] }

    /// `127.0.0.1:PORT`, or `[::1]:PORT` for an IPv6 host: the form `serf join` and `--join` take.
    public var bindAddress: String { bindHost.contains(":") ? "[\(bindHost)]:\(bindPort)" : "\(bindHost):\(bindPort)" }
    public var rpcAddress: String { "127.0.0.1:\(rpcPort)" }

    public init(name: String, workspace: TestWorkspace, encryptKey: String? = nil, tags: [String: String] = [:],
                profile: String = "local", bindHost: String = "127.0.0.1") async throws {
        guard let serf = toolPath("serf") else { throw Missing() }
        self.serf = serf
        self.name = name
        self.bindHost = bindHost
        // memberlist advertises the port it bound for port 0, so serf's members list it as we read it here.
        let bind = bindHost.contains(":") ? "[\(bindHost)]:0" : "\(bindHost):0"
        var arguments = ["agent", "-node=\(name)", "-bind=\(bind)", "-rpc-addr=127.0.0.1:0",
                         "-profile=\(profile)", "-log-level=debug"]
        if let encryptKey { arguments.append("-encrypt=\(encryptKey)") }
        for (key, value) in tags.sorted(by: { $0.key < $1.key }) { arguments += ["-tag", "\(key)=\(value)"] }
        let process = try ManagedProcess(name: "serf-\(name)", executable: serf, arguments: arguments,
                                         logDirectory: workspace.url)
        self.process = process
        do {
            let ports = try await process.boundPorts(tcpListeners: 1)
            bindPort = ports.membership
            rpcPort = ports.other ?? 0
        } catch {
            await process.stop()
            throw error
        }
    }

    /// Runs a serf CLI command against this agent's RPC address and returns its output.
    @discardableResult
    public func command(_ arguments: [String], timeout: Duration = .seconds(10)) async throws -> (status: Int32, output: String) {
        // Go's flag parsing stops at the first positional argument: the RPC address goes right after the verb.
        guard let verb = arguments.first else { return (2, "no serf command given") }
        return try await runTool(serf, [verb, "-rpc-addr=\(rpcAddress)"] + arguments.dropFirst(), timeout: timeout)
    }

    /// Waits until the agent answers RPC.
    public func waitUntilReady(timeout: Duration = .seconds(15)) async -> Bool {
        await eventually(timeout: timeout, every: .milliseconds(200)) {
            (try? await self.command(["members"], timeout: .seconds(2)).status) == 0
        }
    }

    public func join(_ address: String) async throws -> (status: Int32, output: String) {
        try await command(["join", address])
    }

    public func members() async throws -> [Member] {
        let (status, output) = try await command(["members", "-format=json"])
        guard status == 0, let data = output.data(using: .utf8) else { return [] }
        return (try? JSONDecoder().decode(MembersReply.self, from: data).members) ?? []
    }

    public func member(named name: String) async -> Member? {
        (try? await members())?.first { $0.name == name }
    }
}

/// Runs a tool to completion with a time bound; kills it if it overstays.
public func runTool(_ executable: String, _ arguments: [String], timeout: Duration = .seconds(30),
                    stdin: String? = nil) async throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    var env = ProcessInfo.processInfo.environment
    env["SWIFT_BACKTRACE"] = "enable=no"
    process.environment = env
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    let input = Pipe()
    process.standardInput = stdin == nil ? FileHandle.nullDevice : input
    let collected = OutputCollector()
    pipe.fileHandleForReading.readabilityHandler = { handle in
        let data = handle.availableData
        if !data.isEmpty { collected.append(data) }
    }
    try process.run()
    if let stdin {
        input.fileHandleForWriting.write(Data(stdin.utf8))
        try? input.fileHandleForWriting.close()
    }
    let deadline = ContinuousClock.now + timeout
    while process.isRunning && ContinuousClock.now < deadline {
        try await Task.sleep(for: .milliseconds(10))
    }
    if process.isRunning {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
    pipe.fileHandleForReading.readabilityHandler = nil
    let rest = pipe.fileHandleForReading.readDataToEndOfFile()
    collected.append(rest)
    return (process.terminationStatus, collected.text)
}

/// Collects a child's output from Foundation's reader thread.
final class OutputCollector: @unchecked Sendable {
    // @unchecked: every access goes through `lock`.
    private let lock = NSLock()
    private var data = Data()
    func append(_ more: Data) { lock.lock(); data.append(more); lock.unlock() }
    var text: String { lock.lock(); defer { lock.unlock() }; return String(decoding: data, as: UTF8.self) }
}
