// Plumtree benchmarks.
let plumtreeBenchmarks: [BenchmarkSuite] = []
