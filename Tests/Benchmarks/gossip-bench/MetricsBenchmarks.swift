// Metrics benchmarks.
let metricsBenchmarks: [BenchmarkSuite] = []
