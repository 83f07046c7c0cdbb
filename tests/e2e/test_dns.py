"""Cluster DNS end to end: pods resolve Services by every short form through the kube-dns
Service, dig sees Kubernetes' records (A, SRV, PTR, TXT, SOA, CNAME), headless Services
list their pods, names outside the cluster go to an upstream the test runs on loopback,
and glibc's parallel A + AAAA lookups through the service IP lose no packet."""
import json
import os
import socket
import struct
import subprocess

import pytest

from cluster import AGNHOST, Cluster, ready_pods, sh, wait_for
from fake_upstream import FakeUpstream

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="swiftlet up needs root (network namespaces)")


@pytest.fixture(scope="module")
def upstream():
    u = FakeUpstream()
    yield u
    u.close()


@pytest.fixture(scope="module")
def cluster(upstream):
    c = Cluster(nodes=2, extra=("--dns-upstream", f"127.0.0.1:{upstream.port}"))
    try:
        c.start()
        c.kubectl("create", "namespace", "kiada")
        c.apply(f"""
apiVersion: apps/v1
kind: Deployment
metadata: {{name: kiada, namespace: kiada}}
spec:
  replicas: 2
  selector: {{matchLabels: {{app: kiada}}}}
  template:
    metadata: {{labels: {{app: kiada}}}}
    spec:
      containers:
      - name: app
        image: {AGNHOST}
        args: ["netexec", "--http-port=8080"]
        readinessProbe: {{httpGet: {{path: /healthz, port: 8080}}, periodSeconds: 1}}
---
apiVersion: v1
kind: Service
metadata: {{name: quiz, namespace: kiada}}
spec:
  selector: {{app: kiada}}
  ports: [{{name: http, port: 80, targetPort: 8080}}]
---
apiVersion: v1
kind: Service
metadata: {{name: db, namespace: kiada}}
spec:
  clusterIP: None
  selector: {{app: kiada}}
  ports: [{{name: http, port: 8080}}]
---
apiVersion: v1
kind: Service
metadata: {{name: ext, namespace: kiada}}
spec:
  type: ExternalName
  externalName: db.example.test
---
apiVersion: v1
kind: Pod
metadata: {{name: client, namespace: default}}
spec:
  containers:
  - name: app
    image: {AGNHOST}
    args: ["pause"]
""")
        ready_pods_ns(c, "kiada", "app=kiada", 2)
        wait_for("client running", lambda: c.get("pod", "client")["status"].get("phase") == "Running")
        yield c
    finally:
        c.close()


def ready_pods_ns(c, ns, selector, n):
    return ready_pods(c, selector, n, namespace=ns)


def in_pod(c, ns, pod, *cmd, check=True):
    return c.kubectl("exec", "-n", ns, pod, "--", *cmd, check=check)


def kiada_pod(c):
    return ready_pods_ns(c, "kiada", "app=kiada", 2)[0]["metadata"]["name"]


def dig(c, *args, ns="default", pod="client"):
    return in_pod(c, ns, pod, "dig", "+time=2", "+tries=1", *args, check=False).stdout


def test_kube_dns_service_points_at_the_dns_server(cluster):
    svc = cluster.get("service", "kube-dns", "-n", "kube-system")
    assert svc["spec"]["clusterIP"].endswith(".0.10")
    assert {(p["name"], p["protocol"], p["port"]) for p in svc["spec"]["ports"]} == {("dns", "UDP", 53), ("dns-tcp", "TCP", 53), ("metrics", "TCP", 9153)}
    slices = cluster.get("endpointslices", "-n", "kube-system", "-l", "kubernetes.io/service-name=kube-dns")["items"]
    assert slices and slices[0]["endpoints"][0]["addresses"] == [cluster.node_cidr.rsplit(".", 1)[0] + ".1"]
    resolv = in_pod(cluster, "default", "client", "cat", "/etc/resolv.conf").stdout
    assert f"nameserver {svc['spec']['clusterIP']}" in resolv


def test_every_short_form_from_the_same_namespace(cluster):
    pod = kiada_pod(cluster)
    ip = cluster.get("service", "quiz", "-n", "kiada")["spec"]["clusterIP"]
    for name in ("quiz", "quiz.kiada", "quiz.kiada.svc", "quiz.kiada.svc.cluster.local"):
        out = in_pod(cluster, "kiada", pod, "getent", "hosts", name).stdout.split()
        assert out[0] == ip and out[1] == "quiz.kiada.svc.cluster.local", (name, out)
        assert in_pod(cluster, "kiada", pod, "curl", "-s", "-m", "3", f"http://{name}/hostname").stdout.startswith("kiada-")
        assert dig(cluster, "+search", "+short", name, ns="kiada", pod=pod).split() == [ip]


def test_other_namespaces_need_the_namespace(cluster):
    ip = cluster.get("service", "quiz", "-n", "kiada")["spec"]["clusterIP"]
    assert in_pod(cluster, "default", "client", "getent", "hosts", "quiz", check=False).returncode == 2
    assert in_pod(cluster, "default", "client", "getent", "hosts", "quiz.kiada").stdout.split()[0] == ip
    assert in_pod(cluster, "default", "client", "curl", "-s", "-m", "3", "http://quiz.kiada/hostname").stdout.startswith("kiada-")


def test_records_as_kubernetes_defines_them(cluster):
    svc_ip = cluster.get("service", "quiz", "-n", "kiada")["spec"]["clusterIP"]
    assert dig(cluster, "+short", "SRV", "_http._tcp.quiz.kiada.svc.cluster.local").split() == ["0", "100", "80", "quiz.kiada.svc.cluster.local."]
    assert dig(cluster, "+short", "-x", svc_ip).split() == ["quiz.kiada.svc.cluster.local."]
    assert dig(cluster, "+short", "TXT", "dns-version.cluster.local").split() == ['"1.1.0"']
    nx = dig(cluster, "nope.kiada.svc.cluster.local")
    assert "status: NXDOMAIN" in nx and "ns.dns.cluster.local. hostmaster.cluster.local." in nx and "flags: qr aa rd" in nx
    nodata = dig(cluster, "AAAA", "quiz.kiada.svc.cluster.local")
    assert "status: NOERROR" in nodata and "ANSWER: 0" in nodata and "SOA" in nodata
    assert dig(cluster, "+tcp", "+short", "quiz.kiada.svc.cluster.local").split() == [svc_ip]
    assert dig(cluster, "+short", "QUIZ.KIADA.svc.Cluster.Local").split() == [svc_ip]
    pod_ip = ready_pods_ns(cluster, "kiada", "app=kiada", 2)[0]["status"]["podIP"]
    assert dig(cluster, "+short", f"{pod_ip.replace('.', '-')}.kiada.pod.cluster.local").split() == [pod_ip]


def test_headless_service_resolves_to_its_ready_pods(cluster):
    pods = ready_pods_ns(cluster, "kiada", "app=kiada", 2)
    ips = {p["status"]["podIP"] for p in pods}
    assert set(dig(cluster, "+short", "db.kiada.svc.cluster.local").split()) == ips
    orders = {tuple(dig(cluster, "+short", "db.kiada.svc.cluster.local").split()) for _ in range(12)}
    assert len(orders) == 2, "answers come in a random order"
    srv = dig(cluster, "+short", "SRV", "_http._tcp.db.kiada.svc.cluster.local").splitlines()
    assert {l.split()[3] for l in srv} == {f"{ip.replace('.', '-')}.db.kiada.svc.cluster.local." for ip in ips}
    assert all(l.split()[2] == "8080" for l in srv)
    some = pods[0]["status"]["podIP"]
    assert dig(cluster, "+short", "-x", some).split() == [f"{some.replace('.', '-')}.db.kiada.svc.cluster.local."]


def test_external_name_and_names_outside_the_cluster(cluster, upstream):
    out = dig(cluster, "ext.kiada.svc.cluster.local")
    assert "CNAME\tdb.example.test." in out and "192.0.2.98" in out
    assert dig(cluster, "+short", "example.test").split() == ["192.0.2.99"]
    seen = len([q for q in upstream.queries if q[0] == "example.test"])
    assert dig(cluster, "+short", "example.test").split() == ["192.0.2.99"]
    assert len([q for q in upstream.queries if q[0] == "example.test"]) == seen, "the second answer comes from the cache"
    assert "status: NXDOMAIN" in dig(cluster, "no-such-name.test")


def test_changes_are_answered_at_once(cluster):
    cluster.apply("apiVersion: v1\nkind: Service\nmetadata: {name: late, namespace: kiada}\nspec:\n  ports: [{port: 80}]\n")
    ip = cluster.get("service", "late", "-n", "kiada")["spec"]["clusterIP"]
    wait_for("late resolves", lambda: dig(cluster, "+short", "late.kiada.svc.cluster.local").split() == [ip], timeout=10)
    cluster.kubectl("delete", "service", "late", "-n", "kiada")
    wait_for("late gone", lambda: "NXDOMAIN" in dig(cluster, "late.kiada.svc.cluster.local"), timeout=10)


def conntrack_failures(c, node):
    out = sh("ip", "netns", "exec", f"swl-{c.name}-node-{node}", "conntrack", "-S").stdout
    total = 0
    for line in out.splitlines():
        for field in line.split():
            if field.startswith(("insert_failed=", "drop=")):
                total += int(field.split("=")[1])
    return total


def test_parallel_a_and_aaaa_lookups_lose_nothing(cluster):
    """glibc sends A and AAAA at once from one socket; through a DNAT that is the conntrack
    race behind Kubernetes' 5-second DNS stalls. Count the kernel's failed inserts."""
    node = int(cluster.get("pod", "client")["spec"]["nodeName"].split("-")[1])
    before = conntrack_failures(cluster, node)
    script = "ok=0; for i in $(seq 100); do getent ahosts quiz.kiada.svc.cluster.local >/dev/null && ok=$((ok+1)); done; echo $ok"
    assert in_pod(cluster, "default", "client", "sh", "-c", script).stdout.strip() == "100"
    assert conntrack_failures(cluster, node) == before


def test_malformed_queries_get_formerr_and_the_server_keeps_serving(cluster):
    eps = cluster.get("endpoints", "kube-dns", "-n", "kube-system")["subsets"][0]
    host, port = eps["addresses"][0]["ip"], eps["ports"][0]["port"]
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2)
    s.sendto(struct.pack(">HHHHHH", 0x4242, 0x0100, 1, 0, 0, 0) + b"\x3f\x61", (host, port))
    reply, _ = s.recvfrom(512)
    assert reply[:2] == b"\x42\x42" and reply[3] & 0x0F == 1  # FORMERR
    s.sendto(b"\x00", (host, port))  # not even a header: dropped
    # A long name with EDNS0 (the server reads many datagrams at once; each must arrive whole).
    long = ".".join(["a" * 60] * 3) + ".kiada.svc.cluster.local"
    assert "status: NXDOMAIN" in dig(cluster, "+edns=0", long)
    burst = [struct.pack(">HHHHHH", 0x5000 + i, 0x0100, 1, 0, 0, 0)
             + b"".join(bytes([len(p)]) + p.encode() for p in ("kubernetes", "default", "svc", "cluster", "local")) + b"\x00\x00\x01\x00\x01"
             for i in range(50)]
    for q in burst:
        s.sendto(q, (host, port))
    ids = set()
    for _ in burst:
        reply, _ = s.recvfrom(512)
        assert reply[3] & 0x0F == 0, reply  # NOERROR
        ids.add(reply[:2])
    assert len(ids) == len(burst)
    s.close()
    assert dig(cluster, "+short", "kubernetes.default.svc.cluster.local").split() == [cluster.get("service", "kubernetes")["spec"]["clusterIP"]]


def test_cluster_domain_is_configurable():
    c = Cluster(nodes=1, extra=("--cluster-domain", "swiftlet.test"))
    try:
        c.start()
        c.apply(f"apiVersion: v1\nkind: Pod\nmetadata: {{name: probe}}\nspec:\n  containers:\n  - name: app\n    image: {AGNHOST}\n    args: [pause]\n")
        wait_for("probe running", lambda: c.get("pod", "probe")["status"].get("phase") == "Running")
        assert "search default.svc.swiftlet.test svc.swiftlet.test swiftlet.test" in in_pod(c, "default", "probe", "cat", "/etc/resolv.conf").stdout
        ip = c.get("service", "kubernetes")["spec"]["clusterIP"]
        assert in_pod(c, "default", "probe", "getent", "hosts", "kubernetes").stdout.split()[:2] == [ip, "kubernetes.default.svc.swiftlet.test"]
        # cluster.local is no longer served, and this cluster forwards nowhere: REFUSED.
        assert "status: REFUSED" in in_pod(c, "default", "probe", "dig", "kubernetes.default.svc.cluster.local", check=False).stdout
    finally:
        c.close()


def test_prometheus_metrics_on_the_metrics_port(cluster):
    dig(cluster, "+short", "quiz.kiada.svc.cluster.local")
    dig(cluster, "nope.kiada.svc.cluster.local")
    # Through the kube-dns Service's metrics port, from a pod.
    text = in_pod(cluster, "default", "client", "curl", "-s", "-m", "3", "http://kube-dns.kube-system:9153/metrics").stdout
    lines = text.splitlines()
    requests = [l for l in lines if l.startswith("swiftlet_dns_requests_total{") and 'proto="udp"' in l and 'type="A"' in l]
    assert requests and int(float(requests[0].split()[-1])) >= 2
    assert any(l.startswith("swiftlet_dns_responses_total{") and 'rcode="NXDOMAIN"' in l for l in lines)
    assert any(l.startswith("swiftlet_dns_request_duration_seconds_bucket{") for l in lines)
    assert any(l.startswith("swiftlet_dns_cache_hits_total") for l in lines)
