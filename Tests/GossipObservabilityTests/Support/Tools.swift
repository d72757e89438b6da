import Foundation
import Testing

/// The real tools the monitoring tests drive, found on PATH or in Debian's /usr/bin. A missing tool fails
/// the test (make deps installs them); it never skips it.
enum Tool: String {
    case promtool, prometheus, amtool
    /// Debian's name for the Alertmanager server.
    case alertmanager = "prometheus-alertmanager"

    var path: String? {
        let environment = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let candidates = environment.split(separator: ":").map(String.init) + ["/usr/bin", "/usr/sbin", "/usr/local/bin"]
        for directory in candidates {
            let candidate = directory + "/" + rawValue
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    func require(sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        try #require(path, "\(rawValue) not found on PATH or /usr/bin: run `make deps`", sourceLocation: sourceLocation)
    }
}

/// What a finished process said.
struct ProcessResult {
    var status: Int32
    var output: String
    var timedOut: Bool

    var summary: String { "exit \(status)\(timedOut ? " (timed out)" : ""):\n\(output)" }
}

/// Runs `executable` with `arguments`, feeding `input`, waiting at most `timeout`; stdout and stderr together.
func run(
    _ executable: String, _ arguments: [String], input: [UInt8]? = nil, workingDirectory: URL? = nil,
    timeout: Duration = .seconds(60)
) throws -> ProcessResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let workingDirectory { process.currentDirectoryURL = workingDirectory }
    let outputFile = FileManager.default.temporaryDirectory.appendingPathComponent("obs-\(UUID().uuidString).out")
    _ = FileManager.default.createFile(atPath: outputFile.path, contents: nil)
    defer { try? FileManager.default.removeItem(at: outputFile) }
    let handle = try FileHandle(forWritingTo: outputFile)
    process.standardOutput = handle
    process.standardError = handle
    let inputPipe = Pipe()
    process.standardInput = input == nil ? FileHandle.nullDevice : inputPipe
    try process.run()
    if let input {
        inputPipe.fileHandleForWriting.write(Data(input))
        try inputPipe.fileHandleForWriting.close()
    }
    let deadline = ContinuousClock.now + timeout
    while process.isRunning && ContinuousClock.now < deadline {
        Thread.sleep(forTimeInterval: 0.02)
    }
    let timedOut = process.isRunning
    if timedOut {
        process.terminate()
        process.waitUntilExit()
    }
    try handle.close()
    let output = (try? String(contentsOf: outputFile, encoding: .utf8)) ?? ""
    return ProcessResult(status: process.terminationStatus, output: output, timedOut: timedOut)
}

/// The repository's root, found from this file's path.
let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// A path inside the repository.
func repositoryFile(_ relative: String) -> URL {
    repositoryRoot.appendingPathComponent(relative)
}

/// A fresh temporary directory, removed by the caller.
func makeTemporaryDirectory() throws -> URL {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("obs-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    return directory
}
