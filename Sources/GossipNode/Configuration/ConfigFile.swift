import Yams

/// Reads a YAML config file into raw settings keyed by dotted path (`membership.probe_interval`).
///
/// Nested mappings become dotted keys; a key the schema declares a map (such as `tags`) keeps its pairs.
/// Values must be scalars, lists of scalars, or (for map settings) mappings of scalars.
enum ConfigFile {
    static func values<Root>(yaml text: String, path: String, schema: SettingsSchema<Root>) throws(ConfigurationError)
        -> [(key: String, value: RawSetting)]
    {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch {
            throw .unreadableFile(path: path, reason: "not valid YAML: \(error)")
        }
        guard let node else { return [] }
        guard case .mapping(let mapping) = node else {
            throw .unreadableFile(path: path, reason: "the top level must be a mapping of settings")
        }
        var result: [(key: String, value: RawSetting)] = []
        try flatten(mapping, prefix: "", path: path, schema: schema, into: &result)
        return result
    }

    private static func flatten<Root>(_ mapping: Node.Mapping, prefix: String, path: String, schema: SettingsSchema<Root>,
                                      into result: inout [(key: String, value: RawSetting)]) throws(ConfigurationError) {
        for (keyNode, valueNode) in mapping {
            guard let name = keyNode.scalar?.string else {
                throw .unreadableFile(path: path, reason: "a key under '\(prefix)' is not a plain name")
            }
            let key = prefix.isEmpty ? name : prefix + "." + name
            let shape = schema.setting(key)?.shape
            switch valueNode {
            case .scalar(let scalar):
                result.append((key, .scalar(scalar.string)))
            case .sequence(let sequence):
                var items: [String] = []
                for item in sequence {
                    guard let text = item.scalar?.string else {
                        throw .invalidValue(key: key, value: "a nested list", expected: "a list of plain values", source: .file(path))
                    }
                    items.append(text)
                }
                result.append((key, .list(items)))
            case .mapping(let nested):
                if shape == .map {
                    var pairs: [(key: String, value: String)] = []
                    for (k, v) in nested {
                        guard let kt = k.scalar?.string, let vt = v.scalar?.string else {
                            throw .invalidValue(key: key, value: "a nested structure", expected: "KEY: VALUE pairs", source: .file(path))
                        }
                        pairs.append((kt, vt))
                    }
                    result.append((key, .map(pairs)))
                } else if shape != nil {
                    throw .invalidValue(key: key, value: "a mapping", expected: "a single value", source: .file(path))
                } else {
                    try flatten(nested, prefix: key, path: path, schema: schema, into: &result)
                }
            case .alias:
                throw .unreadableFile(path: path, reason: "YAML aliases are not supported (at '\(key)')")
            }
        }
    }
}
