# The two commands a fresh machine needs are `make demo` and `make test`; both run `deps` first.
SHELL := /bin/bash
SWIFT ?= swift
# Debian packages the build and the tests drive. `deps` installs only what is missing.
APT_PACKAGES := libuv1-dev libhttp-parser-dev libssl-dev pkg-config serf prometheus prometheus-alertmanager
# Tests that need real tools find them here; the paths are Debian's.
export PATH := $(PATH):/usr/sbin:/usr/bin

.PHONY: deps build test unit sanitize demo bench fuzz sim clean

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

unit: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

test: unit sanitize

# The runtime's and the node's tests under ThreadSanitizer and AddressSanitizer, each in its own build folder.
SANITIZE_FILTER ?= GossipRuntimeTests
sanitize: deps
	SWIFT_BACKTRACE=enable=no $(SWIFT) test --scratch-path .build-tsan --sanitize=thread --filter '$(SANITIZE_FILTER)'
	SWIFT_BACKTRACE=enable=no $(SWIFT) test --scratch-path .build-asan --sanitize=address --filter '$(SANITIZE_FILTER)'

demo: deps
	$(SWIFT) run gossip-node demo

bench: deps
	bash Tests/Benchmarks/run.sh

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
