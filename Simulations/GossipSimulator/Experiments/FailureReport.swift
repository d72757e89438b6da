/// The failure experiment's report: a table, and charts of reliability against the share crashed, of the
/// time until every broadcast reaches every survivor again, and of reliability over time after the crash.
public enum FailureReport {
    public static func table(_ runs: [FailureRun]) -> String {
        var lines = [
            "| crashed | protocol | first broadcast, eventually | first broadcast, on time | on time, mean of first 2 s | on time, mean of first 5 s | full on-time reliability from | RMR after | LDH after |",
            "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for run in runs.sorted(by: { ($0.share, $0.protocolName) > ($1.share, $1.protocolName) }).reversed() {
            let full = run.secondsToFullReliability.map { String(format: "%.2f s", $0) } ?? "not within the run"
            lines.append(String(format: "| %d%% (%d) | %@ | %.4f | %.4f | %.4f | %.4f | %@ | %.3f | %.2f |",
                                Int((run.share * 100).rounded()), run.crashed, run.protocolName, run.firstReliability,
                                run.firstOnTime, run.meanOnTime(within: 2), run.meanOnTime(within: 5), full, run.rmrAfterRepair,
                                run.ldhAfterRepair))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Reliability of the first broadcast, and the mean over the first 2 s, against the share crashed.
    public static func reliabilityChart(_ runs: [FailureRun], nodes: Int) -> String {
        var series: [(String, [(Double, Double)])] = []
        for name in ["plumtree", "flood"] {
            let mine = runs.filter { $0.protocolName == name }.sorted { $0.share < $1.share }
            guard !mine.isEmpty else { continue }
            series.append(("\(name): first broadcast, on time", mine.map { ($0.share * 100, $0.firstOnTime) }))
            series.append(("\(name): on time, mean of first 2 s", mine.map { ($0.share * 100, $0.meanOnTime(within: 2)) }))
        }
        return SVGChart.lines(title: "On-time reliability after a mass failure, \(nodes) nodes", xLabel: "nodes crashed at once (%)",
                              yLabel: "share of survivors delivering", series: series)
    }

    /// Seconds after the crash until every broadcast reaches every survivor again, against the share crashed.
    public static func recoveryChart(_ runs: [FailureRun], nodes: Int) -> String {
        var series: [(String, [(Double, Double)])] = []
        for name in ["plumtree", "flood"] {
            let mine = runs.filter { $0.protocolName == name && $0.secondsToFullReliability != nil }.sorted { $0.share < $1.share }
            guard !mine.isEmpty else { continue }
            series.append((name, mine.map { ($0.share * 100, $0.secondsToFullReliability!) }))
        }
        return SVGChart.lines(title: "Time to full reliability again, \(nodes) nodes", xLabel: "nodes crashed at once (%)",
                              yLabel: "seconds after the crash", series: series,
                              marks: [])
    }

    /// Reliability of each broadcast over the seconds after the crash, one line per share (Plumtree).
    public static func timelineChart(_ runs: [FailureRun], nodes: Int) -> String {
        let series = runs.filter { $0.protocolName == "plumtree" }.sorted { $0.share < $1.share }.map { run in
            ("\(Int((run.share * 100).rounded()))% crashed", run.broadcasts.map { ($0.secondsAfterCrash, $0.onTimeReliability) })
        }
        return SVGChart.lines(title: "Plumtree: on-time reliability of each broadcast after the crash, \(nodes) nodes",
                              xLabel: "seconds after the crash", yLabel: "share of survivors delivering", series: series,
                              marks: [(FailureExperiment.detectionDelay.seconds, "failures reported")])
    }
}
