import Logging

/// Makes the node's loggers from a ``LoggingConfiguration``, without touching swift-log's global bootstrap
/// (a service that embeds the node keeps its own), or as a factory for `LoggingSystem.bootstrap` in the
/// `gossip-node` binary.
public enum GossipLogging {
    /// A logger for `component`, at the configured level, with the configuration's metadata.
    public static func logger(_ component: LogComponent, configuration: LoggingConfiguration) -> Logger {
        Logger(label: component.label) { label in
            handler(label: label, configuration: configuration)
        }
    }

    /// The handler for any label: components get their own level, other labels ``LoggingConfiguration/otherLevel``.
    public static func handler(label: String, configuration: LoggingConfiguration) -> GossipLogHandler {
        GossipLogHandler(
            label: label, format: configuration.format, level: configuration.level(forLabel: label),
            sink: configuration.sink, metadata: configuration.metadata)
    }

    /// A factory for `LoggingSystem.bootstrap(GossipLogging.factory(configuration))`.
    public static func factory(_ configuration: LoggingConfiguration) -> @Sendable (String) -> any LogHandler {
        { label in handler(label: label, configuration: configuration) }
    }
}
