import Foundation

/// Builds a configuration from its four sources in order of precedence:
/// flags > environment (GOSSIP_*) > config file > profile defaults.
///
/// The profile is itself a setting; it is resolved first (from the highest source that names it) because it
/// chooses the defaults every other source then overrides.
public struct ConfigurationLoader<Root>: Sendable {
    public let schema: SettingsSchema<Root>
    /// The key that names the profile (e.g. `profile`), and the defaults each profile gives.
    public let profileKey: String
    public let defaults: @Sendable (String) throws(ConfigurationError) -> Root
    public let defaultProfile: String

    public init(schema: SettingsSchema<Root>, profileKey: String, defaultProfile: String,
                defaults: @escaping @Sendable (String) throws(ConfigurationError) -> Root) {
        self.schema = schema
        self.profileKey = profileKey
        self.defaultProfile = defaultProfile
        self.defaults = defaults
    }

    /// `file` is a path to a YAML file (nil: none); `flags` are the command line's settings by key.
    public func load(file: String?, environment: [String: String], flags: [(key: String, value: RawSetting)])
        throws(ConfigurationError) -> Root
    {
        var fileValues: [(key: String, value: RawSetting)] = []
        if let file {
            let text: String
            do {
                text = try String(contentsOfFile: file, encoding: .utf8)
            } catch {
                throw .unreadableFile(path: file, reason: "\(error.localizedDescription)")
            }
            fileValues = try ConfigFile.values(yaml: text, path: file, schema: schema)
        }
        let environmentValues = try schema.environmentValues(environment)

        var profile = defaultProfile
        for layer in [fileValues, environmentValues, flags] {
            if let named = layer.last(where: { $0.key == profileKey }), case .scalar(let text) = named.value {
                profile = text
            }
        }
        var root = try defaults(profile)
        let variables = Dictionary(schema.settings.map { ($0.key, $0.environmentVariable) }, uniquingKeysWith: { a, _ in a })
        try schema.apply(fileValues.filter { $0.key != profileKey }, source: { _ in .file(file ?? "") }, to: &root)
        try schema.apply(environmentValues.filter { $0.key != profileKey },
                         source: { .environment(variables[$0] ?? $0) }, to: &root)
        try schema.apply(flags.filter { $0.key != profileKey }, source: { _ in .flag }, to: &root)
        return root
    }
}
