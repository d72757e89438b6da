/// Writes a sampled series in promtool's expanded notation: `a+bxn` for arithmetic runs (n+1 values),
/// `_xn` for n missing samples, `stale` where a series disappears (as Prometheus marks a failed scrape).
enum SeriesNotation {
    static func encode(_ values: [Double]) -> String {
        var tokens: [String] = []
        var i = 0
        var present = false
        while i < values.count {
            let value = values[i]
            if value.isNaN {
                if present {
                    tokens.append("stale")
                    present = false
                    i += 1
                    continue
                }
                var j = i
                while j < values.count && values[j].isNaN { j += 1 }
                let blanks = j - i
                tokens.append(blanks == 1 ? "_" : "_x\(blanks)")
                i = j
                continue
            }
            present = true
            // The longest run a, a+b, a+2b, ... that promtool regenerates exactly (integers only when b != 0).
            var j = i + 1
            if j < values.count, !values[j].isNaN {
                let step = values[j] - value
                let exact = step == 0 || (isExactInteger(value) && isExactInteger(step))
                if exact {
                    while j < values.count, !values[j].isNaN, values[j] - values[j - 1] == step,
                        step == 0 || isExactInteger(values[j])
                    {
                        j += 1
                    }
                    let extra = j - i - 1
                    if extra >= 2 {
                        tokens.append(run(value, step, extra))
                        i = j
                        continue
                    }
                }
            }
            tokens.append(number(value))
            i += 1
        }
        return tokens.joined(separator: " ")
    }

    private static func run(_ start: Double, _ step: Double, _ extra: Int) -> String {
        if step == 0 { return "\(number(start))x\(extra)" }
        return step > 0 ? "\(number(start))+\(number(step))x\(extra)" : "\(number(start))-\(number(-step))x\(extra)"
    }

    private static func isExactInteger(_ value: Double) -> Bool {
        value == value.rounded() && abs(value) < 9e15
    }

    static func number(_ value: Double) -> String {
        if value.isInfinite { return value > 0 ? "Inf" : "-Inf" }
        if isExactInteger(value) { return String(Int64(value)) }
        return "\(value)"
    }
}
