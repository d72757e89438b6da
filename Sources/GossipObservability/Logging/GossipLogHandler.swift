import Logging

/// A swift-log handler that writes one line per event, as text or JSON, to a ``LogSink``.
///
/// Value semantics as swift-log requires: changing a copy's level or metadata leaves others alone.
public struct GossipLogHandler: LogHandler {
    public let label: String
    public let format: LoggingConfiguration.Format
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata
    public var metadataProvider: Logger.MetadataProvider?
    private let sink: any LogSink
    private let component: String
    private let timestamp: @Sendable () -> String

    /// A handler for `label`, at `level`.
    public init(
        label: String, format: LoggingConfiguration.Format, level: Logger.Level, sink: any LogSink,
        metadata: Logger.Metadata = [:], metadataProvider: Logger.MetadataProvider? = nil,
        timestamp: @escaping @Sendable () -> String = LogTimestamp.now
    ) {
        self.label = label
        self.format = format
        self.logLevel = level
        self.sink = sink
        self.metadata = metadata
        self.metadataProvider = metadataProvider
        self.component = LogComponent(label: label)?.rawValue ?? label
        self.timestamp = timestamp
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        let line: String
        switch format {
        case .text: line = textLine(event, merged)
        case .json: line = jsonLine(event, merged)
        }
        sink.write(line: line)
    }

    /// `TIMESTAMP LEVEL COMPONENT: message key=value ...`, keys sorted so lines diff cleanly. The message
    /// and every key and value are escaped (``LogTextEscaping``): they carry names and reasons from the
    /// network, and one line must stay one line.
    private func textLine(_ event: LogEvent, _ metadata: Logger.Metadata) -> String {
        var line = "\(timestamp()) \(event.level.rawValue) \(component): \(LogTextEscaping.message(event.message.description))"
        for key in metadata.keys.sorted() {
            guard let value = metadata[key] else { continue }
            line += " \(LogTextEscaping.field(key))=\(LogTextEscaping.field(value.description))"
        }
        return line
    }

    private func jsonLine(_ event: LogEvent, _ metadata: Logger.Metadata) -> String {
        let writer = JSONWriter()
        writer.object {
            writer.field("timestamp", string: timestamp())
            writer.field("level", string: event.level.rawValue)
            writer.field("component", string: component)
            writer.field("label", string: label)
            writer.field("message", string: event.message.description)
            if !metadata.isEmpty {
                writer.field("metadata") { Self.writeJSON(.dictionary(metadata), writer) }
            }
        }
        return writer.text
    }

    private static func writeJSON(_ value: Logger.Metadata.Value, _ writer: JSONWriter) {
        switch value {
        case .string(let string):
            var quoted = ""
            JSONWriter.appendQuoted(string, to: &quoted)
            writer.appendRaw(quoted)
        case .stringConvertible(let convertible):
            var quoted = ""
            JSONWriter.appendQuoted(convertible.description, to: &quoted)
            writer.appendRaw(quoted)
        case .array(let values):
            writer.array(values) { writeJSON($0, writer) }
        case .dictionary(let dictionary):
            writer.object {
                for key in dictionary.keys.sorted() {
                    guard let item = dictionary[key] else { continue }
                    writer.field(key) { writeJSON(item, writer) }
                }
            }
        }
    }
}
