import Foundation

/// A real child process started by a test: its own PID, its output kept in a log file, stopped by that PID.
///
/// Logs live in a temporary folder that is deleted when the test passes (`discardLogs()`) and kept, with its
/// path printed, when it does not, so a failing CI run leaves something to read.
public final class ManagedProcess: @unchecked Sendable {
    // @unchecked: `process` is only mutated in init and read afterwards; Foundation's Process is thread-safe
    // for the calls made here (terminate, processIdentifier, isRunning).
    public let name: String
    public let logURL: URL
    private let process: Process
    private let logHandle: FileHandle
    private let input: Pipe?

    /// Starts `executable` with `arguments`; stdout and stderr both go to `<logDirectory>/<name>.log`.
    /// With `interactive`, the process reads a pipe that ``send(line:)`` writes to; otherwise /dev/null.
    public init(name: String, executable: String, arguments: [String], logDirectory: URL,
                environment: [String: String]? = nil, interactive: Bool = false) throws {
        self.name = name
        self.logURL = logDirectory.appendingPathComponent("\(name).log")
        _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
        self.logHandle = try FileHandle(forWritingTo: logURL)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var env = environment ?? ProcessInfo.processInfo.environment
        // A crashing Swift child would otherwise start swift-backtrace, which can hold our pipes open.
        env["SWIFT_BACKTRACE"] = "enable=no"
        process.environment = env
        process.standardOutput = logHandle
        process.standardError = logHandle
        let input = interactive ? Pipe() : nil
        process.standardInput = input ?? FileHandle.nullDevice
        self.input = input
        try process.run()
        self.process = process
    }

    public var pid: Int32 { process.processIdentifier }
    public var isRunning: Bool { process.isRunning }
    public var exitCode: Int32? { process.isRunning ? nil : process.terminationStatus }

    /// Writes a line to the process's standard input (an interactive process only).
    public func send(line: String) {
        // A child that already exited must fail the test through its assertions, not kill the test
        // process with SIGPIPE: the throwing write reports EPIPE instead.
        ignoreBrokenPipes
        try? input?.fileHandleForWriting.write(contentsOf: Data((line + "\n").utf8))
    }

    /// Closes the process's standard input: it reads end of file.
    public func closeInput() {
        try? input?.fileHandleForWriting.close()
    }

    /// Sends `signal` to this process's own PID.
    public func signal(_ signal: Int32) {
        if process.isRunning { kill(process.processIdentifier, signal) }
    }

    /// Waits until the process exits, at most `timeout`; returns its exit status, or nil if still running.
    @discardableResult
    public func waitForExit(timeout: Duration) async -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        return process.isRunning ? nil : process.terminationStatus
    }

    /// SIGTERM, then SIGKILL if it is still running after `grace`.
    public func stop(grace: Duration = .seconds(5)) async {
        signal(SIGTERM)
        if await waitForExit(timeout: grace) == nil {
            signal(SIGKILL)
            await waitForExit(timeout: .seconds(5))
        }
    }

    /// What the process has written so far.
    public func log() -> String {
        (try? String(contentsOf: logURL, encoding: .utf8)) ?? ""
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        try? logHandle.close()
    }
}

/// A temporary folder for one test's processes and files; removed on success, kept on failure.
public final class TestWorkspace: @unchecked Sendable {
    // @unchecked: immutable after init.
    public let url: URL

    public init(_ label: String) throws {
        let base = FileManager.default.temporaryDirectory
        url = base.appendingPathComponent("gossip-test-\(label)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    /// Call at the end of a passing test.
    public func discard() { try? FileManager.default.removeItem(at: url) }

    /// Prints where the logs are, and the tail of each, for a failing test.
    public func report(_ processes: [ManagedProcess]) -> String {
        var text = "logs kept in \(url.path)\n"
        for process in processes {
            let tail = process.log().split(separator: "\n", omittingEmptySubsequences: false).suffix(40)
            text += "--- \(process.name) (pid \(process.pid)) ---\n" + tail.joined(separator: "\n") + "\n"
        }
        return text
    }
}

/// Writes to a pipe whose reader has gone return EPIPE instead of raising SIGPIPE, once per process.
private let ignoreBrokenPipes: Void = {
    signal(SIGPIPE, SIG_IGN)
}()
