#!/usr/bin/env bash
# The streams benchmark: kubectl exec round trips and throughput, kubectl cp, and requests
# through kubectl port-forward — kubectl → API server (WebSocket) → containerd's streaming
# server (SPDY) — on a 1-node cluster of its own (private ranges, removed on every exit).
# Uses $SWIFTLET_BIN, else builds a release binary. Figures go to docs/benchmarks.md by hand.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${SWIFTLET_BIN:-}
if [ -z "$BIN" ]; then
  swift build -c release >/dev/null
  BIN="$(swift build -c release --show-bin-path)/swiftlet"
fi
tmp=$(mktemp -d /tmp/swiftlet-bench-streams.XXXXXX)
name=bs$((RANDOM % 10000))
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
pf=""
cleanup() {
  [ -n "$pf" ] && kill "$pf" 2>/dev/null || true
  "$BIN" down --data-dir "$tmp/data" --name "$name" >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
echo "==> starting a 1-node cluster ($name)"
HOME=$tmp "$BIN" up --nodes 1 --data-dir "$tmp/data" --name "$name" --port "$port" \
  --node-cidr 172.31.247.0/24 --pod-cidr 10.247.0.0/16 --service-cidr 10.187.0.0/16 --dns-upstream none --detach >/dev/null
export KUBECONFIG=$tmp/data/kubeconfig HOME=$tmp
kubectl run target --image=registry.k8s.io/e2e-test-images/agnhost:2.53 -- netexec --http-port=8080 >/dev/null
kubectl wait --for=condition=Ready pod/target --timeout=60s >/dev/null

now() { date +%s%N; }
percentiles() {  # stdin: one duration in ns per line → "p50 X ms, p90 Y ms"
  sort -n | awk '{a[NR]=$1} END {printf "p50 %.1f ms, p90 %.1f ms (n=%d)\n", a[int(NR*0.5+0.5)]/1e6, a[int(NR*0.9+0.5)]/1e6, NR}'
}
rate() {  # bytes, ns → MB/s
  awk -v b="$1" -v t="$2" 'BEGIN {printf "%.0f MB/s", b / (t / 1e9) / 1e6}'
}

echo -n "exec round trip (kubectl exec target -- true): "
for _ in $(seq 20); do s=$(now); kubectl exec target -- true; echo $(( $(now) - s )); done | percentiles

bytes=$((64 << 20))
s=$(now); out=$(kubectl exec target -- head -c $bytes /dev/zero | wc -c); t=$(( $(now) - s ))
[ "$out" = "$bytes" ] || { echo "exec stdout: got $out bytes of $bytes" >&2; exit 1; }
echo "exec stdout, 64 MiB: $(rate $bytes $t)"
s=$(now); out=$(head -c $bytes /dev/zero | kubectl exec -i target -- wc -c); t=$(( $(now) - s ))
[ "$out" = "$bytes" ] || { echo "exec stdin: got $out bytes of $bytes" >&2; exit 1; }
echo "exec stdin, 64 MiB: $(rate $bytes $t)"

head -c $((32 << 20)) /dev/urandom > "$tmp/payload"
s=$(now); kubectl cp "$tmp/payload" target:/tmp/payload; t=$(( $(now) - s ))
echo "cp into the pod, 32 MiB: $(rate $((32 << 20)) $t)"
s=$(now); kubectl cp target:/tmp/payload "$tmp/back" 2>/dev/null; t=$(( $(now) - s ))
cmp -s "$tmp/payload" "$tmp/back" || { echo "cp out of the pod: the bytes differ" >&2; exit 1; }
echo "cp out of the pod, 32 MiB: $(rate $((32 << 20)) $t)"

kubectl port-forward pod/target :8080 > "$tmp/pf.log" 2>&1 &
pf=$!
for _ in $(seq 50); do grep -q "Forwarding from 127.0.0.1" "$tmp/pf.log" && break; sleep 0.1; done
local_port=$(sed -n 's/^Forwarding from 127.0.0.1:\([0-9]*\).*/\1/p' "$tmp/pf.log" | head -1)
echo -n "a request through port-forward (new stream pair each): "
for _ in $(seq 50); do
  s=$(now); curl -s -m 5 -o /dev/null "http://127.0.0.1:$local_port/hostname"; echo $(( $(now) - s ))
done | percentiles
