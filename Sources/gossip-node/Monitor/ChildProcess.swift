import Foundation
import GossipRuntime
#if canImport(Glibc)
import Glibc
#endif

/// A process `gossip-node monitor` started: its own PID, its output in a log file, stopped by that PID.
final class ChildProcess: @unchecked Sendable {
    // @unchecked: every stored property is set in init and only read afterwards; Foundation's Process is
    // safe for the calls made here from several tasks (processIdentifier, isRunning, terminationStatus).
    let name: String
    let logURL: URL
    private let process: Process
    private let logHandle: FileHandle

    struct Failed: Error, CustomStringConvertible {
        var description: String
    }

    /// Starts `executable`; stdout and stderr both go to `<directory>/<name>.log`, stdin reads /dev/null.
    init(name: String, executable: String, arguments: [String], directory: URL) throws {
        self.name = name
        logURL = directory.appendingPathComponent("\(name).log")
        _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
        logHandle = try FileHandle(forWritingTo: logURL)
        process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = logHandle
        process.standardError = logHandle
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            try? logHandle.close()
            throw Failed(description: "could not start \(name) (\(executable)): \(error)")
        }
    }

    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }
    var exitStatus: Int32? { process.isRunning ? nil : process.terminationStatus }

    /// Waits (at most `timeout`) until the process's listening sockets satisfy `ready`; names what it
    /// waited for, and the log's last lines, when the time passes or the process exits first.
    func waitForPorts(_ what: String, timeout: Duration = .seconds(30),
                      until ready: (ListeningSockets) -> Bool) async throws -> ListeningSockets {
        do {
            return try await ListeningSockets.wait(pid: pid, process: name, for: what, timeout: timeout,
                                                   isRunning: { isRunning }, until: ready)
        } catch {
            let why = isRunning ? "\(error) within \(timeout)" : "\(name) exited (status \(exitStatus ?? -1)) before listening on \(what)"
            throw Failed(description: "\(why)\n\(logTail())")
        }
    }

    /// SIGTERM to this process's own PID, then SIGKILL if it is still running after `grace`.
    func stop(grace: Duration = .seconds(10)) async {
        guard isRunning else { return }
        kill(pid, SIGTERM)
        let deadline = ContinuousClock.now + grace
        while isRunning && ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        if isRunning {
            kill(pid, SIGKILL)
            // Bounded: a SIGKILLed process is reaped within moments unless it is stuck in the kernel.
            let killDeadline = ContinuousClock.now + .seconds(5)
            while isRunning && ContinuousClock.now < killDeadline { try? await Task.sleep(for: .milliseconds(20)) }
        }
    }

    /// The last lines the process wrote, for an error message.
    func logTail(lines: Int = 15) -> String {
        let text = (try? String(contentsOf: logURL, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").suffix(lines).map { "  | \($0)" }.joined(separator: "\n")
    }

    deinit {
        try? logHandle.close()
    }
}
