import ProtocolSupport

/// Every setting with its environment variable, its default under each profile and what it means:
/// `gossip-node settings` prints it, and errors about settings point there.
///
/// The defaults are read from the configuration each profile builds, by the setting's key: the last part of
/// the key in camel case names the property (`membership.probe_interval` is `membership.probeInterval`),
/// looked up in the key's section, then at the top level, then one level down (`inboundStreams`). A key
/// whose property has another name is listed in `propertyNames`. Secrets are never shown.
public enum SettingsReference {
    /// One row of the reference.
    public struct Row: Sendable, Equatable {
        public var key: String
        public var environmentVariable: String
        /// Default per profile, in profile order (lan, wan, local); "" where the setting has none.
        public var defaults: [String]
        public var help: String
    }

    public static let profiles: [GossipNodeConfiguration.Profile] = [.lan, .wan, .local]

    /// Keys whose property is named otherwise.
    static let propertyNames: [String: String] = [
        "join": "seeds", "plumtree.message_cache_ttl": "messageCacheTTL",
        "membership.max_inbound_streams": "maxConcurrent", "membership.inbound_stream_budget": "memoryBudget",
        "label_skip_inbound_check": "skipInboundLabelCheck",
    ]
    /// Keys whose value is secret or has no default.
    static let withoutDefault: Set<String> = ["admin_token", "admin_token_file", "encrypt", "name", "profile", "seed"]

    public static var rows: [Row] {
        let configurations = profiles.map {
            GossipNodeConfiguration(name: "", bind: SocketAddress(ipv4: 127, 0, 0, 1, port: 7946), profile: $0)
        }
        return GossipNodeConfiguration.settings.settings.map { setting in
            Row(key: setting.key, environmentVariable: setting.environmentVariable,
                defaults: configurations.map { withoutDefault.contains(setting.key) ? "" : value(of: setting.key, in: $0) ?? "" },
                help: setting.help)
        }
    }

    /// The reference as text: one block per setting.
    public static var text: String {
        var lines = ["Every setting, as a config file key, a GOSSIP_* variable, and (top-level keys) a --flag.",
                     "Defaults by profile: " + profiles.map(\.rawValue).joined(separator: ", ") + ".", ""]
        for row in rows {
            lines.append("\(row.key)  (\(row.environmentVariable))")
            lines.append("    \(row.help)")
            let defaults = zip(profiles, row.defaults).filter { !$0.1.isEmpty }
            if !defaults.isEmpty {
                let distinct = Set(defaults.map(\.1))
                lines.append("    default: " + (distinct.count == 1 ? defaults[0].1 : defaults.map { "\($0.0.rawValue) \($0.1)" }.joined(separator: ", ")))
            }
        }
        return lines.joined(separator: "\n")
    }

    static func value(of key: String, in configuration: GossipNodeConfiguration) -> String? {
        let parts = key.split(separator: ".").map(String.init)
        let property = propertyNames[key] ?? camelCase(parts.last ?? key)
        let top = Mirror(reflecting: configuration)
        var places: [Mirror] = []
        if parts.count > 1, let section = top.children.first(where: { $0.label == parts[0] })?.value {
            places.append(Mirror(reflecting: section))
        }
        places.append(top)
        places += top.children.map { Mirror(reflecting: $0.value) }.filter { $0.displayStyle == .struct }
        for place in places {
            if let child = place.children.first(where: { $0.label == property }) { return render(child.value) }
        }
        return nil
    }

    static func camelCase(_ snake: String) -> String {
        let words = snake.split(separator: "_")
        return (words.first.map(String.init) ?? "") + words.dropFirst().map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    }

    static func render(_ value: Any) -> String? {
        // An optional first: a nil of any type would match any optional pattern below.
        let mirror = Mirror(reflecting: value)
        if mirror.displayStyle == .optional {
            guard let wrapped = mirror.children.first?.value else { return "none" }
            return render(wrapped)
        }
        switch value {
        case let duration as Duration: return DurationText.format(duration)
        case let number as Int: return "\(number)"
        case let number as Double: return "\(number)"
        case let flag as Bool: return flag ? "true" : "false"
        // An empty text setting (the cluster label) means none.
        case let text as String: return text.isEmpty ? "none" : text
        case let address as SocketAddress: return "\(address)"
        case let list as [SocketAddress]: return list.isEmpty ? "none" : list.map { "\($0)" }.joined(separator: ",")
        case let list as [Seed]: return list.isEmpty ? "none" : list.map { "\($0)" }.joined(separator: ",")
        case let map as [String: String]: return map.isEmpty ? "none" : map.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
        case let choice as any RawRepresentable<String>:
            // Choices (log format, delivery mode) as the setting spells them.
            return choice.rawValue
        default:
            let text = String(describing: value)
            return text.contains("(") ? nil : text
        }
    }
}
