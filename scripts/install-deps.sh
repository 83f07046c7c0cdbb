#!/usr/bin/env bash
# Installs what Swiftlet and its tests need on a fresh Debian machine: kernel tools for the
# dataplane (nft, and libnftables for the proxy), DNS tools, SQLite headers, containerd and
# runc for pods, and what the tests use (busybox-static, a registry, the Python packages).
set -euo pipefail

need_apt=()
command -v nft >/dev/null || need_apt+=(nftables)
command -v ip >/dev/null || need_apt+=(iproute2)
command -v dig >/dev/null || need_apt+=(bind9-dnsutils)
command -v conntrack >/dev/null || need_apt+=(conntrack)
command -v curl >/dev/null || need_apt+=(curl)
command -v openssl >/dev/null || need_apt+=(openssl)  # the tests make TLS secrets
command -v ps >/dev/null || need_apt+=(procps)
command -v setsid >/dev/null || need_apt+=(util-linux)
command -v script >/dev/null || need_apt+=(bsdutils)  # the tests give kubectl exec -t a terminal
command -v nsenter >/dev/null || need_apt+=(util-linux)
command -v ping >/dev/null || need_apt+=(iputils-ping)
command -v python3 >/dev/null || need_apt+=(python3)
[ -f /usr/include/sqlite3.h ] || need_apt+=(libsqlite3-dev)
[ -f /usr/include/nftables/libnftables.h ] || need_apt+=(libnftables-dev)  # the proxy's transactions, in-process
[ -f /usr/include/zlib.h ] || need_apt+=(zlib1g-dev)  # SPDY header compression (exec, attach, port-forward)
command -v etcd >/dev/null || need_apt+=(etcd-server)  # the etcd store's tests start their own
# Pods run on containerd (with runc); ctr comes with containerd and imports image archives.
command -v containerd >/dev/null || need_apt+=(containerd)
command -v runc >/dev/null || need_apt+=(runc)
command -v strip >/dev/null || need_apt+=(binutils)  # Swiftlet's agnhost image carries a stripped binary
# The tests build their images from busybox-static and serve them from a local registry.
[ -x /bin/busybox ] || need_apt+=(busybox-static)
command -v docker-registry >/dev/null || need_apt+=(docker-registry)
command -v skopeo >/dev/null || need_apt+=(skopeo)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "==> installing ${need_apt[*]} (apt)"
  export DEBIAN_FRONTEND=noninteractive
  # No package may start a system service (etcd-server would, on the default ports).
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  apt-get update -qq
  apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if ! command -v kubectl >/dev/null; then
  echo "kubectl is not installed; the tests drive a real kubectl (v1.32). Install it and run again." >&2
  exit 1
fi

python3 - <<'PY' 2>/dev/null || { echo "==> installing Python packages (pip): kubernetes pytest"; python3 -m pip install -q kubernetes pytest; }
import kubernetes, pytest
PY
