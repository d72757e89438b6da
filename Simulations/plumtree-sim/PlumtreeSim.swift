import ArgumentParser
import Foundation
import GossipSimulator

@main
struct PlumtreeSim: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plumtree-sim",
        abstract: "Runs Plumtree gossip clusters in virtual time: the real protocol cores, a simulated network, faults on demand, alert rules proven with promtool.",
        subcommands: [List.self, Run.self, All.self, Scale.self, Failures.self, Fuzz.self, Plan.self]
    )
}

struct List: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Lists the scenarios.")

    func run() {
        for scenario in Catalogue.all {
            let minutes = Int(scenario.duration.components.seconds / 60)
            print("\(scenario.name.padding(toLength: 16, withPad: " ", startingAt: 0)) \(String(scenario.defaultNodes).leftPad(3)) nodes \(String(minutes).leftPad(3)) min  \(scenario.summary)")
        }
    }
}

struct RunOptions: ParsableArguments {
    @Option(help: "Nodes in the cluster (default: the scenario's).")
    var nodes: Int?

    @Option(help: "The seed every random choice derives from.")
    var seed: UInt64 = 1

    @Flag(help: "Also run the flood baseline (same seed, pruning off) and report ratios.")
    var baseline = false

    @Flag(help: "Print the result as JSON on standard output.")
    var json = false

    @Option(help: "Membership: swim (the real core) or oracle (simulated perfect failure detector).")
    var membership: String = "swim"

    @Option(help: "The alert rules to prove (default: monitoring/prometheus/alerts.yml).")
    var rules: String?

    @Option(help: "Where report folders go.")
    var reports: String = "reports"

    @Flag(help: "Skip the promtool alert proof.")
    var noAlerts = false
}

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Runs one scenario and writes its report folder.")

    @Argument(help: "The scenario (see `plumtree-sim list`).")
    var scenario: String

    @OptionGroup var options: RunOptions

    func run() throws {
        guard let scenario = Catalogue.named(scenario) else {
            throw ValidationError("no scenario '\(self.scenario)'; `plumtree-sim list` shows them")
        }
        let passed = try runScenario(scenario, options)
        if !passed { throw ExitCode(1) }
    }
}

struct All: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Runs every scenario; fails if any fails.")

    @OptionGroup var options: RunOptions

    func run() throws {
        var failed: [String] = []
        for scenario in Catalogue.all where try !runScenario(scenario, options) { failed.append(scenario.name) }
        if !failed.isEmpty {
            FileHandle.standardError.write(Data("failed: \(failed.joined(separator: ", "))\n".utf8))
            throw ExitCode(1)
        }
    }
}

/// Runs one scenario with a progress bar on a terminal, writes its report, prints the outcome.
func runScenario(_ scenario: Scenario, _ options: RunOptions) throws -> Bool {
    guard let membership = MembershipMode(rawValue: options.membership) else {
        throw ValidationError("--membership must be swim or oracle")
    }
    let directory = "\(options.reports)/\(scenario.name)-\(options.seed)"
    try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let settings = RunSettings(
        nodes: options.nodes, seed: options.seed, baseline: options.baseline, rulesFile: options.rules,
        outputDirectory: directory, proveAlerts: !options.noAlerts, membership: membership)
    let bar = ProgressBar(label: scenario.name, enabled: isatty(STDERR_FILENO) == 1 && !options.json)
    let result = ScenarioRunner.run(scenario, settings) { bar.update($0) }
    bar.finish()
    try ReportWriter.write(result, to: directory)
    if options.json {
        print(ResultJSON.render(result))
    } else {
        print(ReportWriter.summary(result))
        print("report: \(directory)/report.md")
    }
    if !result.passed {
        FileHandle.standardError.write(Data("""
            FAILED \(scenario.name) with seed \(result.seed):
            \(result.failures.prefix(20).map { "  - \($0)" }.joined(separator: "\n"))
            replay: \(result.replayCommand)

            """.utf8))
    }
    return result.passed
}

/// A one-line progress bar on standard error, drawn only on a terminal.
final class ProgressBar {
    let label: String
    let enabled: Bool
    var last = -1

    init(label: String, enabled: Bool) {
        self.label = label
        self.enabled = enabled
    }

    func update(_ fraction: Double) {
        guard enabled else { return }
        let percent = Int((min(1, max(0, fraction)) * 100).rounded(.down))
        guard percent != last else { return }
        last = percent
        let width = 30
        let filled = percent * width / 100
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        FileHandle.standardError.write(Data("\r\(label) [\(bar)] \(percent)%".utf8))
    }

    func finish() {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}

extension String {
    func leftPad(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}

struct Scale: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Measures wall time and memory of a large cluster carrying many broadcasts.")

    @Option(help: "Nodes in the cluster.")
    var nodes: Int = 1000

    @Option(help: "Broadcasts to send.")
    var broadcasts: Int = 1000

    @Option(help: "Broadcasts per virtual second.")
    var rate: Double = 100

    @Option(help: "The seed.")
    var seed: UInt64 = 1

    @Option(help: "Membership: swim or oracle.")
    var membership: String = "swim"

    @Option(help: "With oracle membership, members each node is told of at start (default: all).")
    var view: Int?

    @Flag(help: "Print the result as JSON.")
    var json = false

    func run() throws {
        guard let mode = MembershipMode(rawValue: membership) else { throw ValidationError("--membership must be swim or oracle") }
        let bar = ProgressBar(label: "scale \(nodes)", enabled: isatty(STDERR_FILENO) == 1 && !json)
        let r = ScaleRun.run(nodes: nodes, broadcasts: broadcasts, perSecond: rate, seed: seed, membership: mode, oracleViewSize: view) {
            bar.update($0)
        }
        bar.finish()
        let m = r.measures
        if json {
            print("{\"nodes\":\(r.nodes),\"broadcasts\":\(r.broadcasts),\"membership\":\"\(r.membership.rawValue)\",\"seed\":\(r.seed),\"wall_seconds\":\(r.wallSeconds),\"formation_wall_seconds\":\(r.formationWallSeconds),\"virtual_seconds\":\(r.virtualSeconds),\"events\":\(r.events),\"peak_rss_bytes\":\(r.peakResidentBytes),\"bytes_per_node\":\(r.bytesPerNode),\"reliability\":\(m.reliability),\"rmr\":\(m.rmr),\"ldh\":\(m.ldh),\"latency_p50\":\(m.latencyP50),\"latency_p99\":\(m.latencyP99),\"messages_per_delivery\":\(m.messagesPerDelivery),\"bytes_per_delivery\":\(m.bytesPerDelivery),\"cpu_microseconds_per_delivery\":\(r.wallSeconds / Double(max(1, m.deliveries)) * 1e6)}")
        } else {
            print(String(format: "scale: %d nodes (%@), %d broadcasts: wall %.1f s (forming %.1f s) for %.0f virtual s, %d events (%.0f/s)",
                         r.nodes, r.membership.rawValue, r.broadcasts, r.wallSeconds, r.formationWallSeconds, r.virtualSeconds, r.events, Double(r.events) / r.wallSeconds))
            print(String(format: "  peak RSS %.1f MiB, %.1f KiB per node; reliability %.4f RMR %.3f LDH %.2f p50 %.1f ms p99 %.1f ms",
                         Double(r.peakResidentBytes) / 1048576, Double(r.bytesPerNode) / 1024, m.reliability, m.rmr, m.ldh, m.latencyP50 * 1000, m.latencyP99 * 1000))
            // The cost curve of the protocol by cluster size, next to the real cluster's in bench-cluster.
            print(String(format: "  per delivery: %.2f messages, %.0f bytes on the simulated wire, %.1f µs of simulation wall time",
                         m.messagesPerDelivery, m.bytesPerDelivery, r.wallSeconds / Double(max(1, m.deliveries)) * 1e6))
        }
    }
}
