/// Label values as the Prometheus text exposition format writes them: backslash, double quote and newline
/// escaped. One routine for every renderer (the node's histograms, the simulator's series keys).
public enum PrometheusLabelValue {
    public static func escaped(_ value: String) -> String {
        guard value.contains(where: { $0 == "\\" || $0 == "\"" || $0 == "\n" }) else { return value }
        var out = ""
        for character in value {
            switch character {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.append(character)
            }
        }
        return out
    }
}
