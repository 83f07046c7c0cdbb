#!/usr/bin/env bash
# The whole test suite: unit and component tests (swift test), then end-to-end tests that
# start Swiftlet and drive it with the real kubectl and the Python kubernetes client.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh

echo "==> swift format lint (the style of .swift-format)"
if ! swift format lint --strict --recursive --parallel Sources Tests Package.swift; then
  echo "The code is not formatted as .swift-format says. Run: swift format format --in-place --recursive --parallel Sources Tests Package.swift" >&2
  exit 1
fi

echo "==> swift build"
swift build -c debug 2>&1 | grep -Ev '^\[[0-9]+/[0-9]+\]' || true
swift build -c debug >/dev/null

echo "==> swift test"
swift test 2>&1 | grep -Ev '^\[[0-9]+/[0-9]+\]|^(◇|↳)' 

echo "==> end-to-end tests"
SWIFTLET_BIN="$(swift build -c debug --show-bin-path)/swiftlet" python3 -m pytest -q -p no:cacheprovider tests/e2e "$@"
