/// A tiny JSON writer for the few fixed-shape documents this layer produces (health bodies, log lines),
/// so the module needs no Foundation encoder and the output's field order is stable.
public final class JSONWriter {
    private(set) var text = ""
    private var needsComma = false

    func object(_ body: () -> Void) {
        text += "{"
        needsComma = false
        body()
        text += "}"
        needsComma = true
    }

    func array<T>(_ items: [T], _ body: (T) -> Void) {
        text += "["
        needsComma = false
        for item in items {
            if needsComma { text += "," }
            needsComma = false
            body(item)
            needsComma = true
        }
        text += "]"
        needsComma = true
    }

    func field(_ name: String, _ value: () -> Void) {
        key(name)
        value()
        needsComma = true
    }

    func field(_ name: String, string: String) {
        key(name)
        Self.appendQuoted(string, to: &text)
        needsComma = true
    }

    func field(_ name: String, number: Double) {
        key(name)
        text += Self.format(number)
        needsComma = true
    }

    func appendRaw(_ encoded: String) {
        text += encoded
    }

    private func key(_ name: String) {
        if needsComma { text += "," }
        Self.appendQuoted(name, to: &text)
        text += ":"
        needsComma = false
    }

    /// Integers print without a fraction; non-finite numbers (which JSON cannot carry) print as null.
    static func format(_ number: Double) -> String {
        guard number.isFinite else { return "null" }
        if number == number.rounded(), abs(number) < 1e15 { return String(Int64(number)) }
        return String(number)
    }

    public static func appendQuoted(_ string: String, to text: inout String) {
        text += "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\t": text += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    text += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    text.unicodeScalars.append(scalar)
                }
            }
        }
        text += "\""
    }
}

extension JSONWriter {
    /// Appends an already-encoded JSON value (an array element).
    func raw(_ encoded: String) {
        appendRaw(encoded)
    }
}
