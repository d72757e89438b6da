#!/usr/bin/env bash
# A new user's package, built and tested the way a user would: outside the repository, depending on it by
# path through a folder named swift-plumtree-gossip (README's Package.swift snippet), importing only the
# products. Run by `make new-user`, part of `make test`. The folder is removed when the tests pass and kept,
# with its log, when they fail.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
work="$(mktemp -d /tmp/new-user-XXXXXX)"
ln -s "$root" "$work/swift-plumtree-gossip"
cp -r "$root/Tests/NewUserPackage/my-service" "$work/my-service"
log="$work/swift-test.log"
echo "new-user: building and testing $work/my-service against $root (log: $log)"
# Bounded: a first build of the package and its dependencies takes a few minutes on two cores.
if (cd "$work/my-service" && SWIFT_BACKTRACE=enable=no timeout 1200 swift test) >"$log" 2>&1; then
  grep -E "Test run with|passed after|failed after" "$log" | tail -3
  rm -rf "$work"
else
  tail -40 "$log"
  echo "new-user: FAILED; the package and its log are kept in $work"
  exit 1
fi
