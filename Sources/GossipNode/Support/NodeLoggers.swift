import GossipObservability
import Logging

/// One logger per component, so that an operator can turn one part up (`protocol=debug`) without drowning
/// in the others. Each carries the node's name.
struct NodeLoggers: Sendable {
    var `protocol`: Logger
    var network: Logger
    var metrics: Logger
    var admin: Logger

    init(configuration: GossipNodeConfiguration) {
        func make(_ component: LogComponent) -> Logger {
            var logger: Logger
            if var embedder = configuration.logger {
                // The embedder's handler decides the level; the component is told as metadata.
                embedder[metadataKey: "component"] = "\(component.rawValue)"
                logger = embedder
            } else {
                logger = GossipLogging.logger(component, configuration: Self.logging(configuration))
            }
            logger[metadataKey: "node"] = "\(configuration.name)"
            return logger
        }
        self.protocol = make(.protocol)
        network = make(.network)
        metrics = make(.metrics)
        admin = make(.admin)
    }

    /// `log_level` sets every component, `log_levels` single ones over it; what neither names keeps its
    /// component's default.
    static func logging(_ configuration: GossipNodeConfiguration) -> LoggingConfiguration {
        var levels: [LogComponent: Logger.Level] = [:]
        if let level = configuration.logLevel {
            for component in LogComponent.allCases { levels[component] = level }
        }
        levels.merge(configuration.logLevels) { _, specific in specific }
        return LoggingConfiguration(format: configuration.logFormat == .json ? .json : .text, levels: levels,
                                    otherLevel: configuration.logLevel ?? .info,
                                    sink: configuration.logSink ?? StandardErrorSink())
    }
}
