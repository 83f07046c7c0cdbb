#!/usr/bin/env bash
# The whole test suite: unit and component tests (swift test), then end-to-end tests that
# start Swiftlet and drive it with the real kubectl and the Python kubernetes client.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh

echo "==> swift build"
swift build -c debug 2>&1 | grep -Ev '^\[[0-9]+/[0-9]+\]' || true
swift build -c debug >/dev/null

echo "==> swift test"
swift test 2>&1 | grep -Ev '^\[[0-9]+/[0-9]+\]|^(◇|↳)' 

echo "==> end-to-end tests"
SWIFTLET_BIN="$(swift build -c debug --show-bin-path)/swiftlet" python3 -m pytest -q -p no:cacheprovider tests/e2e "$@"
