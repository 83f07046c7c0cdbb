#!/usr/bin/env bash
# The LoadBalancer benchmark: installs wrk, builds a release binary, and runs
# `swiftlet-bench lb` (a 3-node cluster of its own on private ranges). Figures go to
# docs/benchmarks.md by hand.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
command -v wrk >/dev/null || { echo "==> installing wrk"; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
swift build -c release >/dev/null
"$(swift build -c release --show-bin-path)/swiftlet-bench" lb "$@"
