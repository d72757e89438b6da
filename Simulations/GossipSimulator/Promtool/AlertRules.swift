import Foundation

/// The alert rules that ship with the package.
public enum AlertRules {
    /// The path of the package's own alert rules (monitoring/prometheus/alerts.yml, carried as this
    /// library's resource), nil when the resource bundle is not beside the running program.
    ///
    /// Looked up by hand rather than through `Bundle.module`, which stops the process when its bundle is
    /// missing (a binary copied away from its build folder). The bundle is named after the package's
    /// identity, which for a path dependency is its folder's name, so any `*_GossipSimulator.resources`
    /// folder beside the program is taken.
    public static var packaged: String? {
        var folders = [Bundle.main.bundleURL]
        if let program = CommandLine.arguments.first {
            folders.append(URL(fileURLWithPath: program).resolvingSymlinksInPath().deletingLastPathComponent())
        }
        for folder in folders {
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
            for entry in entries.sorted() where entry.hasSuffix("_GossipSimulator.resources") {
                let rules = folder.appendingPathComponent(entry).appendingPathComponent("alerts.yml").path
                if FileManager.default.fileExists(atPath: rules) { return rules }
            }
        }
        return nil
    }
}
