import ArgumentParser
import Foundation
import GossipSimulator

struct Fuzz: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Randomized fault runs: each seed generates crashes, restarts, leaves, partitions, loss and slow nodes, then checks that membership converged and every broadcast arrived exactly once.")

    @Option(help: "How many seeds to run, from --seed on.")
    var seeds: Int = 1

    @Option(help: "The first seed.")
    var seed: UInt64 = 1

    @Option(help: "Nodes in each cluster.")
    var nodes: Int = 10

    @Option(name: .customLong("fault-seconds"), help: "Virtual seconds of fault injection.")
    var faultSeconds: Int64 = 120

    @Option(name: .customLong("quiet-seconds"), help: "Virtual seconds with every fault lifted before the checks.")
    var quietSeconds: Int64 = 120

    @Flag(help: "Print every run's fault schedule.")
    var verbose = false

    func run() throws {
        let options = FaultFuzzOptions(nodes: nodes, faultPeriod: .seconds(faultSeconds), quietPeriod: .seconds(quietSeconds))
        let started = Date()
        var failed: [UInt64] = []
        for seed in seed..<(seed + UInt64(max(0, seeds))) {
            // Printed first: a node that breaks an invariant stops the process, and the seed must be known.
            FileHandle.standardError.write(Data("seed \(seed)...\r".utf8))
            let result = FaultFuzz.run(seed: seed, options: options)
            if verbose { for line in result.schedule { print("  \(line)") } }
            let verdict = result.passed ? "pass" : "FAIL"
            print("seed \(seed): \(verdict)  \(result.schedule.count) faults, \(result.broadcasts) broadcasts, \(result.checkedDeliveries) deliveries checked, \(String(format: "%.1f", result.wallSeconds)) s")
            if !result.passed {
                failed.append(seed)
                for failure in result.failures.prefix(10) { print("  - \(failure)") }
                print("  replay: \(result.replayCommand)")
            }
        }
        print("\(seeds - failed.count) of \(seeds) seeds passed in \(String(format: "%.0f", Date().timeIntervalSince(started))) s")
        if !failed.isEmpty {
            print("failed seeds: \(failed.map(String.init).joined(separator: " "))")
            throw ExitCode(1)
        }
    }
}
