import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Polls `condition` until it holds or `timeout` passes; bounded in time and in count.
public func eventually(timeout: Duration, every interval: Duration = .milliseconds(100),
                       _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    var attempts = 0
    while ContinuousClock.now < deadline && attempts < 10_000 {
        if try await condition() { return true }
        attempts += 1
        try? await Task.sleep(for: interval)
    }
    return try await condition()
}

/// Finds a Debian tool on PATH or in /usr/bin and /usr/sbin; nil when it is not installed.
public func toolPath(_ name: String) -> String? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
    for dir in path.split(separator: ":").map(String.init) + ["/usr/bin", "/usr/sbin", "/usr/local/bin"] {
        let candidate = dir + "/" + name
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    return nil
}
