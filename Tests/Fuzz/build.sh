#!/usr/bin/env bash
# Builds the libFuzzer target over MemberlistWire's decoders into .build-fuzz/ (AddressSanitizer + libFuzzer).
#   bash Tests/Fuzz/build.sh          build .build-fuzz/memberlist-wire-fuzz
#   bash Tests/Fuzz/build.sh seeds    regenerate the seed corpus in Tests/Fuzz/corpus from our own encoders
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p .build-fuzz
sources=(Sources/MemberlistWire/*.swift)
if [[ "${1:-}" == "seeds" ]]; then
  swiftc -O -parse-as-library -module-name SeedWriter -I Sources/COpenSSL -lcrypto \
    Tests/Fuzz/SeedWriter/SeedWriter.swift "${sources[@]}" -o .build-fuzz/seed-writer
  rm -rf Tests/Fuzz/corpus && mkdir -p Tests/Fuzz/corpus
  .build-fuzz/seed-writer Tests/Fuzz/corpus
  exit 0
fi
swiftc -sanitize=fuzzer,address -parse-as-library -O -g -use-ld=lld -module-name MemberlistWireFuzz \
  -I Sources/COpenSSL -lcrypto \
  Tests/Fuzz/MemberlistWireFuzz.swift "${sources[@]}" -o .build-fuzz/memberlist-wire-fuzz
