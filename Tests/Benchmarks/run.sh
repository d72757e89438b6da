#!/usr/bin/env bash
# make bench: release build, then every benchmark suite. Figures go to stdout and reports/bench/.
# Usage: run.sh [--json] [FILTER...]  (filters pick gossip-bench suites by name; see gossip-bench/main.swift)
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p reports/bench
swift build -c release --scratch-path .build-release --product gossip-bench

# The runtime suite is measured against a plain C program using libuv directly, built here with Debian's
# libuv and run in the same `make bench`, just before gossip-bench, so both see the same machine.
wants_runtime=1
filters=()
for argument in "$@"; do [[ "$argument" == --* ]] || filters+=("$argument"); done
if ((${#filters[@]} > 0)); then
  wants_runtime=0
  for filter in "${filters[@]}"; do [[ "runtime" == *"$filter"* ]] && wants_runtime=1; done
fi
baseline=""
if ((wants_runtime)); then
  cc -O2 -Wall -Wextra -o .build-release/uv-echo-baseline Tests/Benchmarks/uv-echo-baseline.c \
    $(pkg-config --cflags --libs libuv)
  baseline=$(.build-release/uv-echo-baseline)
fi

.build-release/release/gossip-bench "$@" | tee reports/bench/gossip-bench.md

if ((wants_runtime)) && [[ "$*" != *--json* ]]; then
  # The baseline's rows, then the runtime's figures as a share of the baseline's (goal: at least 0.80).
  {
    echo "$baseline"
    ratio() {  # ratio ROW_NAME_OF_RUNTIME ROW_NAME_OF_BASELINE LABEL
      local ours theirs
      ours=$(awk -F'|' -v name=" $1 " '$3 == name { split($4, v, " "); print v[1] }' reports/bench/gossip-bench.md)
      theirs=$(echo "$baseline" | awk -F'|' -v name=" $2 " '$3 == name { split($4, v, " "); print v[1] }')
      if [[ -n "$ours" && -n "$theirs" && "$theirs" != 0 ]]; then
        awk -v a="$ours" -v b="$theirs" -v label="$3" \
          'BEGIN { printf "| runtime | %s | %.2f ratio | runtime / C baseline; goal >= 0.80 |\n", label, a / b }'
      fi
    }
    ratio "udp echo through GossipRuntime" "udp echo, C libuv baseline" "udp echo, runtime / baseline, wall clock"
    ratio "udp echo through GossipRuntime, per loop-thread CPU second" \
      "udp echo, C libuv baseline, per loop-thread CPU second" "udp echo, runtime / baseline, per CPU second"
  } | tee -a reports/bench/gossip-bench.md
fi
