import Logging

/// How a node logs: output format, per-component levels, where lines go.
public struct LoggingConfiguration: Sendable {
    public enum Format: String, Sendable, CaseIterable {
        /// `2026-01-02T03:04:05.678Z info gossip.protocol: peer joined peer=node-2`
        case text
        /// One JSON object per line: timestamp, level, component, label, message, metadata.
        case json
    }

    public var format: Format
    /// The level of each component; components not listed use their ``LogComponent/defaultLevel``.
    public var levels: [LogComponent: Logger.Level]
    /// The level for loggers whose label names no component.
    public var otherLevel: Logger.Level
    /// Where lines go.
    public var sink: any LogSink
    /// Metadata added to every line (e.g. `node`).
    public var metadata: Logger.Metadata

    public init(
        format: Format = .text, levels: [LogComponent: Logger.Level] = [:], otherLevel: Logger.Level = .info,
        sink: any LogSink = StandardErrorSink(), metadata: Logger.Metadata = [:]
    ) {
        self.format = format
        self.levels = levels
        self.otherLevel = otherLevel
        self.sink = sink
        self.metadata = metadata
    }

    /// The level for `component`.
    public func level(for component: LogComponent) -> Logger.Level {
        levels[component] ?? component.defaultLevel
    }

    /// The level for a logger label.
    public func level(forLabel label: String) -> Logger.Level {
        LogComponent(label: label).map(level(for:)) ?? otherLevel
    }

    /// Parses `protocol=debug,network=info`: the node's `log_levels` setting (`--log-levels`,
    /// `GOSSIP_LOG_LEVELS`, `log_levels:` in YAML), and embedders that take per-component levels from their
    /// own settings. Unknown components or levels are refused with a message naming what was wrong.
    public static func parseLevels(_ text: String) throws(LoggingConfigurationError) -> [LogComponent: Logger.Level] {
        var result: [LogComponent: Logger.Level] = [:]
        for item in text.split(separator: ",") where !item.trimmingSpaces.isEmpty {
            let pair = item.split(separator: "=", maxSplits: 1)
            guard pair.count == 2 else { throw .malformed(String(item)) }
            let name = pair[0].trimmingSpaces, levelName = pair[1].trimmingSpaces.lowercased()
            guard let component = LogComponent(rawValue: name) else { throw .unknownComponent(name) }
            guard let level = Logger.Level(rawValue: levelName == "warn" ? "warning" : levelName) else {
                throw .unknownLevel(levelName)
            }
            result[component] = level
        }
        return result
    }
}

/// Why a logging setting was refused.
public enum LoggingConfigurationError: Error, Equatable, CustomStringConvertible {
    case malformed(String)
    case unknownComponent(String)
    case unknownLevel(String)

    public var description: String {
        switch self {
        case .malformed(let item): "log level '\(item)' is not COMPONENT=LEVEL, e.g. protocol=debug"
        case .unknownComponent(let name):
            "unknown log component '\(name)': use one of \(LogComponent.allCases.map(\.rawValue).joined(separator: ", "))"
        case .unknownLevel(let name):
            "unknown log level '\(name)': use one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))"
        }
    }
}

extension Substring {
    fileprivate var trimmingSpaces: String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
