// A small benchmark harness: repeat a body, keep the median, report per-operation figures.

struct BenchmarkResult {
    var name: String
    var value: Double
    var unit: String
    var note: String = ""

    func tableRow(suite: String) -> String {
        let formatted = value >= 100 ? String(Int(value.rounded())) : String((value * 100).rounded() / 100)
        return "| \(suite) | \(name) | \(formatted) \(unit) | \(note) |"
    }

    var json: String {
        func esc(_ s: String) -> String {
            s.replacingOccurrences("\\", "\\\\").replacingOccurrences("\"", "\\\"")
        }
        return "{\"name\":\"\(esc(name))\",\"value\":\(value),\"unit\":\"\(esc(unit))\",\"note\":\"\(esc(note))\"}"
    }
}

struct BenchmarkSuite: Sendable {
    var name: String
    var run: @Sendable () -> [BenchmarkResult]
}

extension String {
    fileprivate func replacingOccurrences(_ target: String, _ replacement: String) -> String {
        split(separator: Character(target), omittingEmptySubsequences: false).joined(separator: replacement)
    }
}

/// Runs `body(iterations)` `repeats` times and returns the median nanoseconds per iteration.
/// `body` must do `iterations` operations and return something derived from them, so the optimiser keeps them.
func medianNanosPerOp(iterations: Int, repeats: Int = 7, _ body: (Int) -> Int) -> Double {
    var samples: [Double] = []
    var sink = 0
    sink &+= body(max(1, iterations / 10))  // warm-up
    let clock = ContinuousClock()
    for _ in 0..<repeats {
        let start = clock.now
        sink &+= body(iterations)
        let elapsed = clock.now - start
        let (s, atto) = elapsed.components
        samples.append((Double(s) * 1e9 + Double(atto) / 1e9) / Double(iterations))
    }
    if sink == 42 { print("", terminator: "") }
    samples.sort()
    return samples[samples.count / 2]
}

/// The median of a list of figures.
func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted.isEmpty ? 0 : sorted[sorted.count / 2]
}
