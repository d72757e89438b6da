# The two commands a fresh machine needs are `make demo` and `make test`; both run `deps` first.
SHELL := /bin/bash
SWIFT ?= swift
# Debian packages the build and the tests drive. `deps` installs only what is missing.
APT_PACKAGES := libuv1-dev libhttp-parser-dev libssl-dev pkg-config serf prometheus prometheus-alertmanager \
  tcpdump python3 iproute2 iptables chromium
# Tests that need real tools find them here; the paths are Debian's.
export PATH := $(PATH):/usr/sbin:/usr/bin

.PHONY: deps build test unit new-user sanitize proofs lab lab-subset demo monitor bench fuzz fuzz-settings sim clean

deps:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "deps: installing$$missing"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get update -qq && apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  for s in serf prometheus prometheus-alertmanager; do (systemctl disable --now $$s 2>/dev/null || true); done; \
	else echo "deps: all present"; fi

build: deps
	$(SWIFT) build

# Tests run in two passes: the CPU-bound protocol and simulation suites would otherwise hold the test
# runner's threads for minutes while the timing-sensitive I/O suites (sockets, processes, real tools)
# wait for theirs.
IO_SUITES := GossipRuntimeTests|GossipNodeTests|GossipObservabilityTests
# Real serf agents and real gossip-node processes: each pass on its own so their timings do not collide.
PROCESS_SUITES := InteropTests|ProcessTests
CORE_SUITES := ProtocolSupportTests|MemberlistWireTests|MembershipTests|PlumtreeTests|GossipNodeCoreTests|SimulationTests|SimulatorExampleTests
unit: deps
	@for dir in Tests/*Tests; do target=$$(basename $$dir); \
	  echo "$(IO_SUITES)|$(PROCESS_SUITES)|$(CORE_SUITES)" | tr '|' '\n' | grep -qx "$$target" || \
	  { echo "test target $$target is in none of the Makefile's test passes"; exit 1; }; done
	$(SWIFT) build --build-tests
	SWIFT_BACKTRACE=enable=no $(SWIFT) test --skip-build --filter '$(IO_SUITES)'
	SWIFT_BACKTRACE=enable=no $(SWIFT) test --skip-build --filter InteropTests
	SWIFT_BACKTRACE=enable=no $(SWIFT) test --skip-build --filter ProcessTests
	SWIFT_BACKTRACE=enable=no $(SWIFT) test --skip-build --filter '$(CORE_SUITES)'

test: unit new-user sanitize proofs lab-subset

# A user's package outside the repository (Tests/NewUserPackage): depends on this one by path, embeds a node,
# and simulates a partition with the package's alert rules, importing only the products.
new-user: deps
	bash Tests/NewUserPackage/run.sh

# Every scenario of the simulator's catalogue at 16 nodes, each proven against monitoring/prometheus/alerts.yml
# with promtool: the alerts fire when, and only when, the plan says. A protocol change that moves a metric
# past a threshold fails here. Release build (about 2 minutes), then about 70 s; reports of every run,
# failed ones included, land in reports/proofs/.
proofs: deps
	$(SWIFT) build -c release --scratch-path .build-release --product plumtree-sim
	.build-release/release/plumtree-sim all --nodes 16 --seed 1 --reports reports/proofs

# The lab (Tests/Lab/lab.py): six real gossip-node processes, each in a network namespace of its own, faults
# injected by the kernel (iptables partitions and loss, SIGSTOP, kill -9), and a real Prometheus holding the
# simulator's alert plan against what it fires. `make lab` replays four of the simulator's scenarios whole and
# sets the simulator's own runs beside them (fidelity), then runs the lab's catalogue for gossip-node and serf
# side by side, and prints the tables (about 30 minutes); `make test` runs the subset: a 3/3 split healed,
# 20% loss, a paused node, crash-30 with its alerts and a rolling upgrade of the Plumtree version, all at
# once (about 3 minutes). Needs root.
LAB_BUILD = $(SWIFT) build --product gossip-node && $(SWIFT) build --product plumtree-sim
lab: deps
	$(LAB_BUILD)
	/usr/bin/python3 Tests/Lab/lab.py all --system both --parallel 4

lab-subset: deps
	$(LAB_BUILD)
	/usr/bin/python3 Tests/Lab/lab.py subset

# The runtime's and the node's tests under ThreadSanitizer and AddressSanitizer, each in its own build folder.
SANITIZE_FILTER ?= GossipRuntimeTests|StartFailureTests
sanitize: deps
	SWIFT_BACKTRACE=enable=no $(SWIFT) test --scratch-path .build-tsan --sanitize=thread --filter '$(SANITIZE_FILTER)'
	SWIFT_BACKTRACE=enable=no $(SWIFT) test --scratch-path .build-asan --sanitize=address --filter '$(SANITIZE_FILTER)'

demo: deps
	$(SWIFT) run gossip-node demo

# The demo cluster as five gossip-node agent processes, scraped by Debian's Prometheus (alert and recording
# rules from monitoring/prometheus/) and alerting Debian's Alertmanager (monitoring/alertmanager/), every
# port bound by its process and read back. Prints the URLs and how to stop a node; Ctrl-C stops it all.
# Tested by ProcessTests/MonitorCommandTests. MONITOR_ARGS passes options through (e.g. --nodes 3).
monitor: deps
	$(SWIFT) run gossip-node monitor $(MONITOR_ARGS)

bench: deps
	bash Tests/Benchmarks/run.sh

# The simulator's whole scenario catalogue with promtool proofs, then the scale figure; release build.
SIM_SEED ?= 1
SIM_SCALE_NODES ?= 1000
sim: deps
	$(SWIFT) build -c release --scratch-path .build-release --product plumtree-sim
	.build-release/release/plumtree-sim all --seed $(SIM_SEED)
	.build-release/release/plumtree-sim scale --nodes $(SIM_SCALE_NODES) --broadcasts 1000

# Our gossip-node and serf side by side on loopback, one cluster at a time (K = 8, 16), then our cost curve
# (K = 4..32). Release build; Debian's python3 runs the harness (standard library only) with Debian's
# tcpdump counting both systems' bytes, so it needs root (or CAP_NET_RAW). About 10 minutes on 2 cores.
# Tables on stdout, JSON and Markdown in reports/bench-cluster/. BENCH_CLUSTER_ARGS passes options through.
.PHONY: bench-cluster
bench-cluster: deps
	$(SWIFT) build -c release --scratch-path .build-release --product gossip-node
	/usr/bin/python3 Tests/Benchmarks/bench-cluster/bench_cluster.py $(BENCH_CLUSTER_ARGS)

clean:
	rm -rf .build .build-tsan .build-asan .build-release .build-fuzz

# libFuzzer over MemberlistWire's packet and stream decoders: a million inputs from the committed seeds.
# New corpus entries go to .build-fuzz/corpus; the seeds in Tests/Fuzz/corpus are only read.
FUZZ_RUNS ?= 1000000
fuzz:
	bash Tests/Fuzz/build.sh
	mkdir -p .build-fuzz/corpus
	SWIFT_BACKTRACE=enable=no .build-fuzz/memberlist-wire-fuzz -runs=$(FUZZ_RUNS) -max_len=65536 \
	  .build-fuzz/corpus Tests/Fuzz/corpus

# libFuzzer over the settings parsers (YAML file, GOSSIP_* environment, flags) through the agent's loader.
fuzz-settings:
	bash Tests/Fuzz/build.sh settings
	mkdir -p .build-fuzz/settings-corpus
	SWIFT_BACKTRACE=enable=no .build-fuzz/settings-fuzz -runs=$(FUZZ_RUNS) -max_len=4096 \
	  .build-fuzz/settings-corpus Tests/Fuzz/settings-corpus
