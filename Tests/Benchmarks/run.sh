#!/usr/bin/env bash
# make bench: release build, then every benchmark suite. Figures go to stdout and reports/bench/.
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p reports/bench
swift build -c release --scratch-path .build-release --product gossip-bench
.build-release/release/gossip-bench "$@" | tee reports/bench/gossip-bench.md
