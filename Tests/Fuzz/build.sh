#!/usr/bin/env bash
# Builds the libFuzzer target over MemberlistWire's decoders into .build-fuzz/ (AddressSanitizer + libFuzzer).
#   bash Tests/Fuzz/build.sh          build .build-fuzz/memberlist-wire-fuzz
#   bash Tests/Fuzz/build.sh seeds    regenerate the seed corpus in Tests/Fuzz/corpus from our own encoders
#   bash Tests/Fuzz/build.sh settings build .build-fuzz/settings-fuzz over the settings parsers (YAML, env, flags)
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p .build-fuzz
if [[ "${1:-}" == "settings" ]]; then
  # The settings loader needs Yams and most of the node's modules: SwiftPM builds them all instrumented
  # (Tests/Fuzz/SettingsFuzz is a package of its own that depends on this one).
  swift build -c release --package-path Tests/Fuzz/SettingsFuzz --scratch-path .build-fuzz/settings \
    --sanitize=fuzzer --sanitize=address --product settings-fuzz
  cp .build-fuzz/settings/release/settings-fuzz .build-fuzz/settings-fuzz
  exit 0
fi
sources=(Sources/MemberlistWire/*.swift)
if [[ "${1:-}" == "seeds" ]]; then
  swiftc -O -parse-as-library -package-name gossip -module-name SeedWriter -I Sources/COpenSSL -lcrypto \
    Tests/Fuzz/SeedWriter/SeedWriter.swift "${sources[@]}" -o .build-fuzz/seed-writer
  rm -rf Tests/Fuzz/corpus && mkdir -p Tests/Fuzz/corpus
  .build-fuzz/seed-writer Tests/Fuzz/corpus
  exit 0
fi
swiftc -sanitize=fuzzer,address -parse-as-library -O -g -use-ld=lld -package-name gossip -module-name MemberlistWireFuzz \
  -I Sources/COpenSSL -lcrypto \
  Tests/Fuzz/MemberlistWireFuzz.swift "${sources[@]}" -o .build-fuzz/memberlist-wire-fuzz
