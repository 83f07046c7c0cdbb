"""LoadBalancer Services end to end: external IPs from the pool, the load balancer in front
of the nodes (an nftables table in the host namespace spreading over NodePorts, with health
checks), client IPs under both traffic policies, and clean-up. Traffic goes from the host's
shell to the cluster's own private addresses only."""
import json
import os
import signal
import socket
import subprocess
import threading
import time

import pytest

from cluster import Cluster, deployment, ready_pods, sh, wait_for

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="swiftlet up needs root (network namespaces)")

POOL_SIZE = 6
GRACE = "\n      terminationGracePeriodSeconds: 2"


def prefix(c):
    return c.node_cidr.rsplit(".", 1)[0]


@pytest.fixture(scope="module")
def cluster():
    c = Cluster(nodes=3)
    c.pool = (f"{prefix(c)}.200", f"{prefix(c)}.{200 + POOL_SIZE - 1}")
    c.args += ["--load-balancer-pool", f"{c.pool[0]}-{c.pool[1]}"]
    try:
        c.start()
        yield c
    finally:
        c.close()
        assert not any(c.leftovers().values()), c.leftovers()


def lb_service(name, app, spec="", ports="[{name: http, port: 8080, targetPort: 8080}]", annotations="{}"):
    return f"""
apiVersion: v1
kind: Service
metadata: {{name: {name}, annotations: {annotations}}}
spec:
  type: LoadBalancer
  selector: {{app: {app}}}
  ports: {ports}{spec}
"""


def external_ip(c, name):
    ingress = c.get("service", name).get("status", {}).get("loadBalancer", {}).get("ingress") or []
    return ingress[0]["ip"] if ingress else None


def wait_external_ip(c, name, timeout=20):
    return wait_for(f"an external IP for {name}", lambda: external_ip(c, name), timeout=timeout)


def curl(url, timeout=2):
    return subprocess.run(["curl", "-s", "-m", str(timeout), url], capture_output=True, text=True)


def answers(url, n=30):
    return [curl(url).stdout for _ in range(n)]


def udp_ask(ip, port, message, timeout=2):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        s.sendto(message.encode(), (ip, port))
        return s.recv(4096).decode()


def events(c, name, reason):
    items = c.get("events", "--field-selector", f"involvedObject.name={name}")["items"]
    return [e for e in items if e["reason"] == reason]


def table(c):
    return sh("nft", "list", "table", "ip", f"swiftlet-{c.name}-lb", check=False).stdout


def frontend(c, ip, port, proto="tcp"):
    """The rule of one frontend's chain."""
    r = sh("nft", "list", "chain", "ip", f"swiftlet-{c.name}-lb", f"frontend-{ip}-{proto}-{port}", check=False)
    return next((l.strip() for l in r.stdout.splitlines() if "dnat" in l), "")


@pytest.fixture(scope="module")
def kiada(cluster):
    cluster.apply(deployment("kiada", 3, extra_spec=GRACE))
    pods = ready_pods(cluster, "app=kiada", 3)
    return pods


def test_expose_gets_an_address_at_once_that_answers_from_the_host(cluster, kiada):
    t0 = time.time()
    cluster.kubectl("expose", "deployment", "kiada", "--type=LoadBalancer", "--port", "8080")
    ip = wait_external_ip(cluster, "kiada")
    wait_for("the external IP answering", lambda: curl(f"http://{ip}:8080/hostname").stdout.startswith("kiada-"), timeout=10)
    elapsed = time.time() - t0
    assert cluster.pool[0] <= ip <= cluster.pool[1] and ip.startswith(prefix(cluster))
    print(f"expose to first answer: {elapsed:.2f} s")
    # kubectl shows it as EXTERNAL-IP, not <pending>.
    row = cluster.kubectl("get", "svc", "kiada").stdout.splitlines()[1].split()
    assert row[3] == ip and row[4].startswith("8080:")
    # Spread over the pods on every node.
    names = {p["metadata"]["name"] for p in kiada}
    assert set(answers(f"http://{ip}:8080/hostname", 40)) == names
    assert {p["spec"]["nodeName"] for p in kiada} == {"node-1", "node-2", "node-3"}
    # The load balancer sends to every node's NodePort.
    node_port = cluster.get("service", "kiada")["spec"]["ports"][0]["nodePort"]
    rules = table(cluster)
    for i in (1, 2, 3):
        assert f"{prefix(cluster)}.{10 + i} . {node_port}" in rules
    ev = events(cluster, "kiada", "IPAllocated")
    assert ev and ip in ev[0]["message"]
    # Pods reach the external IP too (their node's proxy takes it, as kube-proxy does).
    client = kiada[0]["metadata"]["name"]
    wait_for("the pod's node proxy taking the external IP", lambda: cluster.kubectl(
        "exec", client, "--", "curl", "-s", "-m", "2", f"http://{ip}:8080/hostname", check=False).stdout.startswith("kiada-"), timeout=10)
    out = cluster.kubectl("exec", client, "--", "sh", "-c", f"for i in $(seq 20); do curl -s -m 2 http://{ip}:8080/hostname; echo; done").stdout
    assert set(out.split()) == names


def test_a_port_the_service_does_not_have_is_refused_at_once(cluster, kiada):
    ip = wait_external_ip(cluster, "kiada")
    t0 = time.time()
    r = curl(f"http://{ip}:9999/", timeout=5)
    assert r.returncode == 7 and time.time() - t0 < 2, "connection refused (7), not a timeout (28)"
    # So does an address of the pool that no Service holds.
    t0 = time.time()
    r = curl(f"http://{cluster.pool[1]}:8080/", timeout=5)
    assert r.returncode == 7 and time.time() - t0 < 2, r


def test_client_ip_is_a_node_address_with_cluster_and_the_host_with_local(cluster, kiada):
    cluster.apply(lb_service("kiada-local", "kiada", spec="\n  externalTrafficPolicy: Local"))
    cluster.apply(lb_service("kiada-cluster", "kiada"))
    local, clust = wait_external_ip(cluster, "kiada-local"), wait_external_ip(cluster, "kiada-cluster")
    host = f"{prefix(cluster)}.1"
    wait_for("local answering", lambda: curl(f"http://{local}:8080/clientip").stdout.startswith(host + ":"), timeout=10)
    seen_local = {a.rsplit(":", 1)[0] for a in answers(f"http://{local}:8080/clientip", 20)}
    assert seen_local == {host}, "externalTrafficPolicy: Local keeps the host's address"
    wait_for("cluster answering", lambda: curl(f"http://{clust}:8080/clientip").returncode == 0, timeout=10)
    seen_cluster = {a.rsplit(":", 1)[0] for a in answers(f"http://{clust}:8080/clientip", 20)}
    assert host not in seen_cluster, "externalTrafficPolicy: Cluster masquerades to a node address"
    node_addresses = {f"{prefix(cluster)}.{10 + i}" for i in (1, 2, 3)} | {p["status"]["podIP"].rsplit(".", 1)[0] + ".1" for p in kiada}
    assert seen_cluster <= node_addresses


def test_local_policy_sends_only_to_nodes_whose_health_check_passes(cluster):
    cluster.apply(deployment("solo", 1, extra_spec=GRACE))
    [pod] = ready_pods(cluster, "app=solo", 1)
    cluster.apply(lb_service("solo", "solo", spec="\n  externalTrafficPolicy: Local"))
    ip = wait_external_ip(cluster, "solo")
    svc = cluster.get("service", "solo")
    hc, node_port = svc["spec"]["healthCheckNodePort"], svc["spec"]["ports"][0]["nodePort"]
    home = int(pod["spec"]["nodeName"].split("-")[1])
    for i in (1, 2, 3):
        r = curl(f"http://{prefix(cluster)}.{10 + i}:{hc}/healthz")
        assert json.loads(r.stdout)["localEndpoints"] == (1 if i == home else 0)
    wait_for("only the pod's node in the frontend",
             lambda: f"dnat to {prefix(cluster)}.{10 + home}:{node_port}" in frontend(cluster, ip, 8080), timeout=10)
    assert set(answers(f"http://{ip}:8080/hostname", 20)) == {pod["metadata"]["name"]}
    # Moving the pod moves the load balancer's target with it.
    cluster.kubectl("delete", "deployment", "solo")
    wait_for("no target left", lambda: f"{prefix(cluster)}.{10 + home}:{node_port}" not in table(cluster), timeout=15)
    assert curl(f"http://{ip}:8080/hostname", timeout=5).returncode == 7, "no healthy node: refused at once"
    cluster.kubectl("delete", "service", "solo")


def test_requested_and_shared_addresses(cluster, kiada):
    wanted = f"{prefix(cluster)}.{200 + POOL_SIZE - 1}"
    cluster.apply(lb_service("asked", "kiada", spec=f"\n  loadBalancerIP: {wanted}"))
    assert wait_external_ip(cluster, "asked") == wanted
    shared = "{metallb.universe.tf/allow-shared-ip: web, metallb.universe.tf/loadBalancerIPs: %s}" % f"{prefix(cluster)}.{200 + POOL_SIZE - 2}"
    cluster.apply(lb_service("web-http", "kiada", ports="[{port: 80, targetPort: 8080}]", annotations=shared))
    cluster.apply(lb_service("web-udp", "kiada", ports="[{port: 80, targetPort: 8081, protocol: UDP}]", annotations=shared))
    a, b = wait_external_ip(cluster, "web-http"), wait_external_ip(cluster, "web-udp")
    assert a == b == f"{prefix(cluster)}.{200 + POOL_SIZE - 2}"
    wait_for("shared TCP answering", lambda: curl(f"http://{a}:80/hostname").stdout.startswith("kiada-"), timeout=10)
    assert udp_ask(a, 80, "hostname").startswith("kiada-")
    # Asking for an address another Service holds leaves the Service pending, with a reason.
    cluster.apply(lb_service("thief", "kiada", spec=f"\n  loadBalancerIP: {wanted}"))
    ev = wait_for("AllocationFailed", lambda: events(cluster, "thief", "AllocationFailed"), timeout=10)
    assert "already used by Service default/asked" in ev[0]["message"] and ev[0]["type"] == "Warning"
    assert external_ip(cluster, "thief") is None
    assert "<pending>" in cluster.kubectl("get", "svc", "thief").stdout
    for s in ("asked", "web-http", "web-udp", "thief"):
        cluster.kubectl("delete", "service", s)


def test_exhausted_pool_leaves_pending_until_an_address_is_released(cluster, kiada):
    held = [s["metadata"]["name"] for s in cluster.get("services")["items"] if s["spec"]["type"] == "LoadBalancer"]
    extra = [f"fill-{i}" for i in range(POOL_SIZE - len(held))]
    for name in extra:
        cluster.apply(lb_service(name, "kiada"))
    for name in extra:
        wait_external_ip(cluster, name)
    cluster.apply(lb_service("one-too-many", "kiada"))
    ev = wait_for("AllocationFailed", lambda: events(cluster, "one-too-many", "AllocationFailed"), timeout=10)
    assert "no available IPs" in ev[0]["message"]
    assert external_ip(cluster, "one-too-many") is None
    # Deleting one gives its address to the waiting Service; changing a type releases one too.
    freed = external_ip(cluster, extra[0])
    cluster.kubectl("delete", "service", extra[0])
    assert wait_external_ip(cluster, "one-too-many") == freed
    wait_for("the new owner answering", lambda: curl(f"http://{freed}:8080/hostname").stdout.startswith("kiada-"), timeout=10)
    moved = external_ip(cluster, extra[1])
    cluster.kubectl("patch", "service", extra[1], "-p", '{"spec":{"type":"ClusterIP"}}')
    wait_for("status cleared on type change", lambda: external_ip(cluster, extra[1]) is None, timeout=10)
    wait_for("the rules of the old address gone", lambda: f"{moved} . tcp . 8080" not in table(cluster), timeout=5)
    assert curl(f"http://{moved}:8080/", timeout=5).returncode == 7
    for name in extra[1:] + ["one-too-many"]:
        cluster.kubectl("delete", "service", name)


def test_deleting_the_service_removes_its_rules_at_once(cluster, kiada):
    cluster.apply(lb_service("brief", "kiada"))
    ip = wait_external_ip(cluster, "brief")
    wait_for("brief answering", lambda: curl(f"http://{ip}:8080/hostname").returncode == 0, timeout=10)
    cluster.kubectl("delete", "service", "brief")
    wait_for("rules gone", lambda: ip not in table(cluster), timeout=2)
    assert curl(f"http://{ip}:8080/hostname", timeout=5).returncode == 7


def test_another_load_balancer_class_is_left_alone(cluster, kiada):
    cluster.apply(lb_service("theirs", "kiada", spec="\n  loadBalancerClass: example.com/other"))
    cluster.apply(lb_service("ours", "kiada", spec="\n  loadBalancerClass: swiftlet.io/load-balancer"))
    wait_external_ip(cluster, "ours")
    time.sleep(1)
    assert external_ip(cluster, "theirs") is None and not events(cluster, "theirs", "IPAllocated")
    cluster.kubectl("delete", "service", "theirs", "ours")


def test_without_node_ports_traffic_goes_straight_to_the_pods(cluster, kiada):
    cluster.apply(lb_service("direct", "kiada", spec="\n  allocateLoadBalancerNodePorts: false"))
    ip = wait_external_ip(cluster, "direct")
    assert "nodePort" not in cluster.get("service", "direct")["spec"]["ports"][0]
    wait_for("direct answering", lambda: curl(f"http://{ip}:8080/hostname").stdout.startswith("kiada-"), timeout=10)
    assert set(answers(f"http://{ip}:8080/hostname", 40)) == {p["metadata"]["name"] for p in kiada}
    assert "pods (no node ports)" in table(cluster)
    cluster.kubectl("delete", "service", "direct")


def test_a_stopped_node_agent_is_taken_out_of_rotation():
    """With agents as processes, one is stopped: within seconds the load balancer stops
    sending to that node, and from then on every request succeeds."""
    c = Cluster(nodes=3, extra=("--agent-processes",))
    try:
        c.start()
        c.apply(deployment("kiada", 3, extra_spec=GRACE))
        ready_pods(c, "app=kiada", 3)
        c.kubectl("expose", "deployment", "kiada", "--type=LoadBalancer", "--port", "8080")
        ip = wait_external_ip(c, "kiada")
        node_port = c.get("service", "kiada")["spec"]["ports"][0]["nodePort"]
        wait_for("three nodes in rotation", lambda: frontend(c, ip, 8080).count(f" . {node_port}") == 3, timeout=10)
        agent = next(l.split()[0] for l in sh("ps", "-ewwo", "pid,args").stdout.splitlines()
                     if " node " in l and c.data in l and "--index 2" in l)
        log = []  # (time, ok) of requests sent while the agent stops
        done = threading.Event()

        def requests():
            while not done.is_set():
                log.append((time.time(), curl(f"http://{ip}:8080/hostname").returncode == 0))
        t = threading.Thread(target=requests)
        t.start()
        try:
            time.sleep(0.5)
            stopped = time.time()
            os.kill(int(agent), signal.SIGTERM)
            wait_for("node-2 out of rotation", lambda: f"{prefix(c)}.12 " not in frontend(c, ip, 8080) + " ", timeout=10, interval=0.05)
            removed = time.time()
            # Its pod leaves the endpoints too, before the agent's shutdown ends it.
            ready_pods(c, "app=kiada", 2, timeout=30)
            time.sleep(1)
        finally:
            done.set()
            t.join()
        print(f"node-2 out of rotation {removed - stopped:.2f} s after its agent got SIGTERM; "
              f"{len(log)} requests, {sum(1 for _, ok in log if not ok)} failed")
        assert removed - stopped < 5
        failed_after = [when - stopped for when, ok in log if not ok and when >= removed]
        assert not failed_after, f"requests failed after the health check noticed: {failed_after}"
    finally:
        c.close()


def test_a_pool_outside_the_node_network_is_routed_and_removed():
    c = Cluster(nodes=1)
    n = int(c.node_cidr.split(".")[2])
    pool = f"10.{100 + n % 50}.{n}.16/28"
    c.args += ["--load-balancer-pool", pool]
    try:
        c.start()
        routes = sh("ip", "route", "show").stdout
        assert f"{pool} dev swl-{c.name}" in routes and f"unreachable {pool}" in routes, routes
        c.apply(deployment("far", 1))
        ready_pods(c, "app=far", 1)
        c.kubectl("expose", "deployment", "far", "--type=LoadBalancer", "--port", "8080")
        ip = wait_external_ip(c, "far")
        assert ip == f"10.{100 + n % 50}.{n}.16"
        wait_for("far answering", lambda: curl(f"http://{ip}:8080/hostname").stdout.startswith("far-"), timeout=10)
    finally:
        c.close()
    left = [l for l in sh("ip", "route", "show").stdout.splitlines() if pool in l]
    assert not left and not any(c.leftovers().values()), (left, c.leftovers())
