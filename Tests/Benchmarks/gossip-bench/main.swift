// gossip-bench: the project's micro- and macro-benchmarks, run by `make bench` in a release build.
// Usage: gossip-bench [--json] [FILTER...]   (a filter picks suites whose name contains it)

let arguments = Array(CommandLine.arguments.dropFirst())
let json = arguments.contains("--json")
let filters = arguments.filter { !$0.hasPrefix("--") }

let suites: [BenchmarkSuite] = runtimeBenchmarks + wireBenchmarks + membershipBenchmarks + plumtreeBenchmarks
    + metricsBenchmarks

var results: [BenchmarkResult] = []
for suite in suites where filters.isEmpty || filters.contains(where: { suite.name.contains($0) }) {
    for result in suite.run() {
        results.append(result)
        if !json { print(result.tableRow(suite: suite.name)) }
    }
}
if json {
    print("[" + results.map(\.json).joined(separator: ",\n") + "]")
}
