/// Escaping for the text log format, so that no value can forge a line or a field.
///
/// Member names, tags, addresses and reasons come from the network: one UDP Alive whose name held a
/// newline used to write a whole forged `critical` line. Every message and metadata value is escaped here:
/// control characters (C0, DEL, C1), the Unicode line and paragraph separators, format characters (bidi
/// overrides that reorder what a terminal shows), and the backslash that starts an escape, so the
/// escaping is unambiguous. A value with a space, `"` or `=` is quoted, with `"` escaped, so it cannot
/// close its quotes and add a field of its own.
package enum LogTextEscaping {
    /// The message: escaped, never quoted (it is the free text between the component and the fields).
    package static func message(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { needsEscape($0, quoted: false) }) else { return text }
        return escaped(text, quoted: false)
    }

    /// A metadata key or value: escaped, and quoted when empty or when it holds a space, `"` or `=`.
    package static func field(_ text: String) -> String {
        let quote = text.isEmpty || text.unicodeScalars.contains { $0 == " " || $0 == "\"" || $0 == "=" }
        guard quote || text.unicodeScalars.contains(where: { needsEscape($0, quoted: false) }) else { return text }
        let body = escaped(text, quoted: quote)
        return quote ? "\"" + body + "\"" : body
    }

    private static func escaped(_ text: String, quoted: Bool) -> String {
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            guard needsEscape(scalar, quoted: quoted) else {
                out.append(scalar)
                continue
            }
            let replacement: String
            switch scalar {
            case "\n": replacement = "\\n"
            case "\r": replacement = "\\r"
            case "\t": replacement = "\\t"
            case "\\": replacement = "\\\\"
            case "\"": replacement = "\\\""
            default: replacement = "\\u{" + String(scalar.value, radix: 16) + "}"
            }
            out.append(contentsOf: replacement.unicodeScalars)
        }
        return String(out)
    }

    private static func needsEscape(_ scalar: Unicode.Scalar, quoted: Bool) -> Bool {
        let value = scalar.value
        if value < 0x20 || value == 0x7F || scalar == "\\" { return true }
        if scalar == "\"" { return quoted }
        if value < 0x80 { return false }
        if (0x80...0x9F).contains(value) { return true }
        switch scalar.properties.generalCategory {
        case .lineSeparator, .paragraphSeparator, .format, .control: return true
        default: return false
        }
    }
}
