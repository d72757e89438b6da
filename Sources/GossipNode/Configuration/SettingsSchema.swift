/// One named setting: its key (dotted, e.g. `plumtree.eager_fanout`), what it means, and how its raw value
/// is parsed and applied to the configuration being built.
public struct Setting<Root>: Sendable {
    public enum Shape: Sendable { case scalar, list, map }

    public let key: String
    public let shape: Shape
    public let help: String
    let apply: @Sendable (inout Root, RawSetting, SettingSource) throws(ConfigurationError) -> Void

    public init(_ key: String, shape: Shape = .scalar, help: String,
                apply: @escaping @Sendable (inout Root, RawSetting, SettingSource) throws(ConfigurationError) -> Void) {
        self.key = key
        self.shape = shape
        self.help = help
        self.apply = apply
    }

    /// A scalar setting whose text is parsed by `parse` and stored by `store`.
    public static func scalar(_ key: String, help: String,
                              _ set: @escaping @Sendable (inout Root, String, SettingSource) throws(ConfigurationError) -> Void) -> Setting {
        Setting(key, help: help) { (root: inout Root, raw: RawSetting, source: SettingSource) throws(ConfigurationError) in
            guard case .scalar(let text) = raw else {
                throw .invalidValue(key: key, value: "\(raw)", expected: "a single value", source: source)
            }
            try set(&root, text, source)
        }
    }

    /// The environment variable that sets this key: `GOSSIP_` + the key in upper case, dots as underscores.
    public var environmentVariable: String {
        "GOSSIP_" + key.uppercased().map { $0 == "." || $0 == "-" ? "_" : $0 }.map(String.init).joined()
    }
}

/// Every setting a node understands, and the order of precedence between sources:
/// flags > environment (GOSSIP_*) > config file > profile defaults.
public struct SettingsSchema<Root>: Sendable {
    public let settings: [Setting<Root>]
    private let byKey: [String: Int]

    public init(_ settings: [Setting<Root>]) {
        self.settings = settings
        var index: [String: Int] = [:]
        for (i, setting) in settings.enumerated() { index[setting.key] = i }
        self.byKey = index
    }

    public func setting(_ key: String) -> Setting<Root>? { byKey[key].map { settings[$0] } }

    /// Applies one layer of raw values; refuses unknown keys, naming them and their source.
    public func apply(_ values: [(key: String, value: RawSetting)], source: (String) -> SettingSource,
                      to root: inout Root) throws(ConfigurationError) {
        for (key, value) in values {
            guard let setting = setting(key) else { throw .unknownKey(key: key, source: source(key)) }
            try setting.apply(&root, value, source(key))
        }
    }

    /// The GOSSIP_* variables of `environment` as raw values; an unknown GOSSIP_ variable is refused.
    public func environmentValues(_ environment: [String: String]) throws(ConfigurationError) -> [(key: String, value: RawSetting)] {
        var byVariable: [String: Setting<Root>] = [:]
        for setting in settings { byVariable[setting.environmentVariable] = setting }
        var values: [(key: String, value: RawSetting)] = []
        for (variable, text) in environment.sorted(by: { $0.key < $1.key }) where variable.hasPrefix("GOSSIP_") {
            guard let setting = byVariable[variable] else {
                throw .unknownKey(key: variable, source: .environment(variable))
            }
            switch setting.shape {
            case .scalar: values.append((setting.key, .scalar(text)))
            case .list, .map: values.append((setting.key, .list(RawSetting.scalar(text).asList)))
            }
        }
        return values
    }
}
