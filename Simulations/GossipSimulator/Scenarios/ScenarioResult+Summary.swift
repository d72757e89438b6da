extension ScenarioResult: CustomStringConvertible {
    /// A few lines a failing test can print whole: the verdict, the first failures, the headline figures
    /// and the command that replays the run. The charts stay in the report.
    public var summary: String {
        var lines = ["\(scenario) at \(nodes) nodes, seed \(seed): \(passed ? "passed" : "FAILED")"]
        for failure in failures.prefix(5) { lines.append("  - \(failure)") }
        if failures.count > 5 { lines.append("  - and \(failures.count - 5) more") }
        let m = measures
        lines.append("  reliability \(m.reliability), RMR \(m.rmr), false deaths \(m.falseDeaths), alerts fired "
                     + "\(Set(verdict?.fired.map(\.alert) ?? []).sorted().joined(separator: ", "))")
        lines.append("  replay: \(replayCommand)")
        return lines.joined(separator: "\n")
    }

    public var description: String { summary }
}
