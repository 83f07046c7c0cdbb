#!/usr/bin/env bash
# The cluster DNS benchmark with its comparison: installs dnsperf and NSD (without letting
# the package start NSD as a system service), builds a release binary, and runs
# `swiftlet-bench dns --dnsperf`. Figures go to docs/benchmarks.md by hand.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
need=()
command -v dnsperf >/dev/null || need+=(dnsperf)
command -v nsd >/dev/null || need+=(nsd)
command -v taskset >/dev/null || need+=(util-linux)
if [ ${#need[@]} -gt 0 ]; then
  echo "==> installing ${need[*]} (apt; services not started)"
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod +x /usr/sbin/policy-rc.d
  trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
swift build -c release >/dev/null
"$(swift build -c release --show-bin-path)/swiftlet-bench" dns --dnsperf "$@"
