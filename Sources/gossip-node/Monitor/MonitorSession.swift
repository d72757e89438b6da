import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// What one `gossip-node monitor` run owns: the processes it started and its temporary folder. Cleanup
/// stops each process by its own PID and removes the folder, whichever way the run ends.
final class MonitorSession: Sendable {
    let directory: URL
    private let children = Mutex<[ChildProcess]>([])

    init() throws {
        // mkdtemp: a fresh folder only this user can read (the configuration names every local port).
        var template = Array((FileManager.default.temporaryDirectory.path + "/gossip-monitor-XXXXXX").utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw ChildProcess.Failed(description: "could not create a temporary folder: \(String(cString: strerror(errno)))")
        }
        directory = URL(fileURLWithPath: String(cString: made))
    }

    /// Starts a child and records it, so cleanup stops it even if the run fails right after.
    func start(_ name: String, _ executable: String, _ arguments: [String]) throws -> ChildProcess {
        let child = try ChildProcess(name: name, executable: executable, arguments: arguments, directory: directory)
        children.withLock { $0.append(child) }
        return child
    }

    var processes: [ChildProcess] { children.withLock { $0 } }

    /// Stops Prometheus and Alertmanager first (so the nodes' going does not page anyone), then every node
    /// at once, each by its PID; then removes the folder. Returns what it stopped, for the last line.
    func cleanup(tools: Set<String>) async -> Int {
        let all = processes
        let running = all.filter(\.isRunning).count
        for child in all.reversed() where tools.contains(child.name) { await child.stop() }
        await withTaskGroup(of: Void.self) { group in
            for child in all where !tools.contains(child.name) { group.addTask { await child.stop() } }
        }
        try? FileManager.default.removeItem(at: directory)
        return running
    }
}
