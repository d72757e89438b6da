import Foundation

/// The gossip-node binary built next to the test bundle (`swift build --build-tests` builds both).
public enum GossipNodeBinary {
    public struct Missing: Error, CustomStringConvertible {
        let looked: String
        public var description: String { "\(looked) is not built: run `swift build` first" }
    }

    public static func path() throws -> String { try product("gossip-node") }

    /// Any executable product of the package (the examples, the simulator CLI), built beside the tests.
    public static func product(_ name: String) throws -> String {
        let testBinary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var directory = testBinary.deletingLastPathComponent()
        // The xctest bundle may be a directory (macOS) or a file (Linux) in the build products folder.
        if directory.lastPathComponent.hasSuffix(".xctest") { directory = directory.deletingLastPathComponent() }
        let candidate = directory.appendingPathComponent(name).path
        guard FileManager.default.isExecutableFile(atPath: candidate) else { throw Missing(looked: candidate) }
        return candidate
    }
}
