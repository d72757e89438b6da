// Wire benchmarks.
let wireBenchmarks: [BenchmarkSuite] = []
