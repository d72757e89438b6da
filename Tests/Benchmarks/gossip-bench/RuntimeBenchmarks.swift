// Runtime benchmarks.
let runtimeBenchmarks: [BenchmarkSuite] = []
