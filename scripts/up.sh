#!/usr/bin/env bash
# Builds Swiftlet (release) and runs `swiftlet up` in the foreground (as root). Arguments go to `swiftlet up`.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
echo "==> building swiftlet (release; the first build takes a few minutes)"
swift build -c release 2>&1 | grep -E "error|warning: |Compiling swiftlet|Build complete" || true
bin="$(swift build -c release --show-bin-path)/swiftlet"
[ -x "$bin" ] || { echo "build failed: run 'swift build -c release' to see why" >&2; exit 1; }
ln -sf "$bin" /usr/local/bin/swiftlet && echo "==> linked /usr/local/bin/swiftlet -> $bin"
echo "==> starting swiftlet up"
exec "$bin" up "$@"
