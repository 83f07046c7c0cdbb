"""Two `swiftlet server`s on one 3-member etcd cluster (started here, on loopback): a write
through one is seen by a watch on the other, the controllers run once (leader election
through a Lease) and move to the other server when their holder dies."""
import contextlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time

import pytest

from cluster import wait_for
from conftest import Server
from etcd_cluster import ETCD, Etcd

pytestmark = pytest.mark.skipif(not os.path.exists(ETCD), reason="etcd is not installed (scripts/install-deps.sh installs it)")


@contextlib.contextmanager
def servers_on_etcd(*extra):
    """A 3-member etcd and two `swiftlet server`s on it (a and b), all stopped afterwards."""
    tmp = tempfile.mkdtemp(prefix="swiftlet-etcd-")
    etcd = Etcd(tmp)
    servers = []
    try:
        for name in ("a", "b"):
            os.makedirs(os.path.join(tmp, name))
            servers.append(Server(os.path.join(tmp, name)).start("--store", etcd.url, *extra))
        yield etcd, servers
    finally:
        for s in servers:
            s.stop()
        etcd.stop()
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture
def two_servers():
    with servers_on_etcd() as both:
        yield both


def get(server, *args):
    return json.loads(server.kubectl("get", *args, "-o", "json").stdout)


def holder(server):
    lease = get(server, "lease", "-n", "kube-system", "swiftlet-controller-manager")
    return lease["spec"].get("holderIdentity", "")


def test_two_api_servers_share_one_etcd(two_servers):
    _, (a, b) = two_servers
    # A watch on B sees a Service created through A.
    watch = subprocess.Popen(["kubectl", "get", "services", "-w", "--output-watch-events", "-o", "name"],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=b.env)
    try:
        time.sleep(1)
        a.kubectl("create", "service", "clusterip", "through-a", "--tcp=80:8080")
        deadline = time.time() + 10
        seen = ""
        while "through-a" not in seen and time.time() < deadline:
            seen += watch.stdout.readline()
        assert "service/through-a" in seen
    finally:
        watch.kill()
        watch.wait()
    b.kubectl("create", "service", "clusterip", "through-b", "--tcp=80:8080")
    names = {s["metadata"]["name"] for s in get(a, "services")["items"]}
    assert {"through-a", "through-b"} <= names


def test_controllers_run_once_and_fail_over(two_servers):
    _, (a, b) = two_servers
    ids = {s: f"_{os.path.realpath(s.data)}" for s in (a, b)}
    leader = wait_for("a controller leader", lambda: next((s for s in (a, b) if holder(a).endswith(ids[s])), None), timeout=30)
    follower = b if leader is a else a
    # One EndpointSlice per Service, not one per server.
    leader.kubectl("create", "service", "clusterip", "once", "--tcp=80:8080")
    wait_for("the slice of once", lambda: get(follower, "endpointslices", "-l", "kubernetes.io/service-name=once")["items"], timeout=15)
    time.sleep(2)
    assert len(get(follower, "endpointslices", "-l", "kubernetes.io/service-name=once")["items"]) == 1
    # The leader dies without giving the Lease up: the other server's controllers take over.
    leader.stop(signal.SIGKILL)
    wait_for("the follower holding the lease", lambda: holder(follower).endswith(ids[follower]), timeout=40)
    follower.kubectl("create", "service", "clusterip", "after", "--tcp=80:8080")
    wait_for("the slice of after", lambda: get(follower, "endpointslices", "-l", "kubernetes.io/service-name=after")["items"], timeout=15)


def test_servers_never_hand_out_one_address_twice():
    """Both servers create Services at once from small ranges: every ClusterIP and NodePort
    is still unique (each is claimed in etcd before it is used)."""
    with servers_on_etcd("--service-cidr", "10.123.0.0/24", "--node-port-range", "30000-30199") as (_, servers):
        failures = []

        def create(server, prefix):
            for i in range(40):
                r = server.kubectl("create", "service", "nodeport", f"{prefix}-{i}", "--tcp=80:8080", check=False)
                if r.returncode != 0:
                    failures.append(r.stderr)
        threads = [threading.Thread(target=create, args=(s, n)) for s, n in zip(servers, ("a", "b"))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not failures, failures[:3]
        items = get(servers[0], "services", "-A")["items"]
        ips = [s["spec"]["clusterIP"] for s in items if s["spec"].get("clusterIP") not in (None, "None")]
        ports = [p["nodePort"] for s in items for p in s["spec"]["ports"] if p.get("nodePort")]
        assert len(items) >= 80
        assert len(ips) == len(set(ips)), sorted(ip for ip in ips if ips.count(ip) > 1)
        assert len(ports) == len(set(ports)), sorted(p for p in ports if ports.count(p) > 1)
