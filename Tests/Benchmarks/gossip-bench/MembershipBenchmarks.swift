// Membership benchmarks.
let membershipBenchmarks: [BenchmarkSuite] = []
