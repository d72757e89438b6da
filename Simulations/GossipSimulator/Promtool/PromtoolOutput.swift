/// Reads what `promtool test rules` prints for failed alert tests: for each failing (alert, time), the
/// alerts it got, each with its labels and annotations.
enum PromtoolOutput {
    struct Got {
        var alert: String
        var seconds: Int
        var alerts: [(labels: [(String, String)], annotations: [(String, String)])]
    }

    static func parse(_ text: String) -> [Got] {
        var result: [Got] = []
        var current: Got?
        var inGot = false
        var pendingLabels: [(String, String)]?
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = rawLine.trimmingPrefixSpaces()
            if line.hasPrefix("alertname: ") {
                if let current { result.append(current) }
                current = nil
                inGot = false
                // "alertname: NAME, time: 10m, "
                let parts = line.dropFirst("alertname: ".count).split(separator: ",", maxSplits: 1)
                guard parts.count == 2 else { continue }
                let timeText = parts[1].trimmingPrefixSpaces().dropFirst("time: ".count)
                guard let seconds = goDurationSeconds(String(timeText.prefix { $0 != "," && $0 != " " })) else { continue }
                current = Got(alert: String(parts[0]), seconds: seconds, alerts: [])
            } else if line.hasPrefix("exp:[") {
                inGot = false
            } else if line.hasPrefix("got:[") {
                inGot = true
            } else if inGot, line.hasPrefix("Labels:{") {
                pendingLabels = parseLabelSet(line.dropFirst("Labels:".count))
            } else if inGot, line.hasPrefix("Annotations:{"), let labels = pendingLabels {
                current?.alerts.append((labels, parseLabelSet(line.dropFirst("Annotations:".count)) ?? []))
                pendingLabels = nil
            }
        }
        if let current { result.append(current) }
        return result
    }

    /// `{a="x", b="y \"q\""}` as Go's labels.String() writes it.
    static func parseLabelSet(_ text: Substring) -> [(String, String)]? {
        var chars = Array(text.trimmingSuffixSpaces())
        // Every alert but the last in promtool's list ends with a comma after its annotations.
        if chars.last == "," { chars.removeLast() }
        guard chars.first == "{", chars.last == "}" else { return nil }
        chars = Array(chars.dropFirst().dropLast())
        var result: [(String, String)] = []
        var i = 0
        while i < chars.count {
            while i < chars.count && (chars[i] == " " || chars[i] == ",") { i += 1 }
            var name = ""
            while i < chars.count && chars[i] != "=" { name.append(chars[i]); i += 1 }
            i += 1  // '='
            guard i < chars.count, chars[i] == "\"" else { return result.isEmpty ? nil : result }
            i += 1
            var value = ""
            while i < chars.count && chars[i] != "\"" {
                if chars[i] == "\\", i + 1 < chars.count {
                    i += 1
                    switch chars[i] {
                    case "n": value.append("\n")
                    case "t": value.append("\t")
                    case "r": value.append("\r")
                    case "x" where i + 2 < chars.count:
                        if let code = UInt8(String(chars[(i + 1)...(i + 2)]), radix: 16) { value.append(Character(UnicodeScalar(code))) }
                        i += 2
                    case "u" where i + 4 < chars.count:
                        if let code = UInt32(String(chars[(i + 1)...(i + 4)]), radix: 16), let scalar = UnicodeScalar(code) {
                            value.append(Character(scalar))
                        }
                        i += 4
                    default: value.append(chars[i])
                    }
                } else {
                    value.append(chars[i])
                }
                i += 1
            }
            i += 1  // closing quote
            result.append((name, value))
        }
        return result
    }

    /// Go's model.Duration text (`1h2m30s`, `10m`, `90s`, `500ms`) in whole seconds.
    static func goDurationSeconds(_ text: String) -> Int? {
        var total = 0.0
        var number = ""
        var chars = Array(text)[...]
        guard !chars.isEmpty else { return nil }
        while let c = chars.first {
            if c.isNumber || c == "." {
                number.append(c)
                chars = chars.dropFirst()
                continue
            }
            var unit = ""
            while let u = chars.first, !u.isNumber { unit.append(u); chars = chars.dropFirst() }
            guard let value = Double(number) else { return nil }
            number = ""
            switch unit {
            case "ms": total += value / 1000
            case "s": total += value
            case "m": total += value * 60
            case "h": total += value * 3600
            case "d": total += value * 86400
            case "w": total += value * 604800
            case "y": total += value * 31_536_000
            default: return nil
            }
        }
        if !number.isEmpty { return nil }
        return Int(total.rounded())
    }
}

extension StringProtocol {
    func trimmingPrefixSpaces() -> SubSequence { self[(firstIndex { $0 != " " && $0 != "\t" } ?? endIndex)...] }
    func trimmingSuffixSpaces() -> SubSequence {
        guard let last = lastIndex(where: { $0 != " " && $0 != "\t" && $0 != "\r" }) else { return self[startIndex..<startIndex] }
        return self[...last]
    }
}
