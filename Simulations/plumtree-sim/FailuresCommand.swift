import ArgumentParser
import Foundation
import GossipSimulator

/// `plumtree-sim failures`: the Plumtree paper's failure experiment, Plumtree and the flood baseline side
/// by side, with the report's table and charts written to a folder.
struct Failures: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Crashes a share of the nodes at once and measures the broadcasts that follow (the Plumtree paper's experiment), beside the flood baseline.")

    @Option(help: "Nodes in the cluster.")
    var nodes: Int = 1000

    @Option(help: "Shares crashed, in percent, comma-separated.")
    var shares: String = "10,20,30,40,50,60,70,80,90"

    @Option(help: "Members each node is told of at start (oracle membership; default: all).")
    var view: Int?

    @Option(help: "The seed.")
    var seed: UInt64 = 1

    @Flag(help: "Skip the flood baseline.")
    var noFlood = false

    @Option(help: "Where the report (failures.md and three SVG charts) goes.")
    var report: String = "reports/failures"

    func run() throws {
        let percents = shares.split(separator: ",").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard !percents.isEmpty, percents.allSatisfy({ $0 > 0 && $0 < 100 }) else {
            throw ValidationError("--shares takes percentages between 0 and 100, e.g. 10,50,90")
        }
        guard nodes >= 10 else { throw ValidationError("--nodes must be at least 10") }
        var runs: [FailureRun] = []
        for percent in percents {
            for flood in noFlood ? [false] : [false, true] {
                let started = Date()
                let run = FailureExperiment.run(nodes: nodes, share: percent / 100, seed: seed, flood: flood, view: view)
                runs.append(run)
                let full = run.secondsToFullReliability.map { String(format: "%.2f s", $0) } ?? "never"
                FileHandle.standardError.write(Data(String(
                    format: "%3.0f%% crashed, %@: first broadcast %.4f (on time %.4f), full reliability from %@, RMR %.3f LDH %.2f (%.0f s wall)\n",
                    percent, run.protocolName, run.firstReliability, run.firstOnTime, full, run.rmrAfterRepair, run.ldhAfterRepair,
                    Date().timeIntervalSince(started)).utf8))
            }
        }
        let folder = URL(fileURLWithPath: report)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let command = "plumtree-sim failures --nodes \(nodes) --shares \(shares)\(view.map { " --view \($0)" } ?? "") --seed \(seed)"
        let markdown = """
        # Mass failure: \(nodes) nodes, oracle membership (failures reported after \(Int(FailureExperiment.detectionDelay.seconds)) s)

        `\(command)`

        \(FailureReport.table(runs))
        ![reliability](reliability.svg)
        ![recovery](recovery.svg)
        ![timeline](timeline.svg)

        """
        try markdown.write(to: folder.appendingPathComponent("failures.md"), atomically: true, encoding: .utf8)
        try FailureReport.reliabilityChart(runs, nodes: nodes).write(to: folder.appendingPathComponent("reliability.svg"), atomically: true, encoding: .utf8)
        try FailureReport.recoveryChart(runs, nodes: nodes).write(to: folder.appendingPathComponent("recovery.svg"), atomically: true, encoding: .utf8)
        try FailureReport.timelineChart(runs, nodes: nodes).write(to: folder.appendingPathComponent("timeline.svg"), atomically: true, encoding: .utf8)
        print(FailureReport.table(runs))
        print("report: \(folder.path)/failures.md")
    }
}
