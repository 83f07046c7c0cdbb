"""The service proxy end to end: real traffic through each node's nftables table in a
`swiftlet up` cluster. ClusterIP spreading and source IPs, hairpin, UDP and TCP, rejects,
NodePorts and traffic policies, health checks, session affinity, readiness, rolling updates,
conntrack, restarts, and a table that touches nothing else."""
import json
import os
import signal
import subprocess
import time

import pytest

from cluster import AGNHOST, BIN, Cluster, ready_pods, running_cluster, sh, wait_for

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="swiftlet up needs root (network namespaces)")

@pytest.fixture(scope="module")
def cluster():
    yield from running_cluster(3)


def node_ns(c, i):
    return f"swl-{c.name}-node-{i}"


def node_ip(c, i):
    return c.node_cidr.rsplit(".", 1)[0] + f".{10 + i}"


def host_ip(c):
    return c.node_cidr.rsplit(".", 1)[0] + ".1"


def pod(name, node, app, probe="/healthz", extra_spec=""):
    return f"""
apiVersion: v1
kind: Pod
metadata: {{name: {name}, labels: {{app: {app}}}}}
spec:
  nodeName: {node}
  terminationGracePeriodSeconds: 2{extra_spec}
  containers:
  - name: app
    image: {AGNHOST}
    args: ["netexec", "--http-port=8080", "--udp-port=8081"]
    readinessProbe:
      httpGet: {{path: {probe}, port: 8080}}
      periodSeconds: 1
---
"""


def service(name, app, spec="", ports="[{name: http, port: 80, targetPort: 8080}]", labels="{}"):
    return f"""
apiVersion: v1
kind: Service
metadata: {{name: {name}, labels: {labels}}}
spec:
  selector: {{app: {app}}}
  ports: {ports}{spec}
---
"""


def cluster_ip(c, name):
    return c.get("service", name)["spec"]["clusterIP"]


def in_pod(c, name, script, check=True):
    return c.kubectl("exec", name, "--", "sh", "-c", script, check=check)


def hostnames(c, client, url, n=30):
    out = in_pod(c, client, f"for i in $(seq {n}); do curl -s -m 2 {url}; echo; done").stdout
    return [l for l in out.splitlines() if l]


def in_node(c, i, *args, check=True, timeout=30):
    return sh("ip", "netns", "exec", node_ns(c, i), *args, check=check, timeout=timeout)


def until_routed(c, client, url, expect):
    """Waits for the proxies to program a change (milliseconds, but the API is asynchronous)."""
    return wait_for(f"{url} answering {expect}", lambda: expect in in_pod(c, client, f"curl -s -m 2 {url}", check=False).stdout,
                    timeout=20)


@pytest.fixture(scope="module")
def web(cluster):
    """Three pods, one per node, behind a ClusterIP Service."""
    cluster.apply("".join(pod(f"web-{i}", f"node-{i}", "web") for i in (1, 2, 3)) + service("web", "web"))
    pods = ready_pods(cluster, "app=web", 3)
    return {p["spec"]["nodeName"]: p for p in pods}


def test_clusterip_spreads_over_every_pod_from_every_node(cluster, web):
    ip = cluster_ip(cluster, "web")
    names = {p["metadata"]["name"] for p in web.values()}
    for p in web.values():
        until_routed(cluster, p["metadata"]["name"], f"http://{ip}/hostname", "web-")
        assert set(hostnames(cluster, p["metadata"]["name"], f"http://{ip}/hostname")) == names
    # From the node itself (its own namespace), too.
    out = in_node(cluster, 2, "sh", "-c", f"for i in $(seq 30); do curl -s -m 2 http://{ip}/hostname; echo; done").stdout
    assert set(out.split()) == names


def test_client_source_ip_is_preserved_and_hairpin_works(cluster, web):
    ip = cluster_ip(cluster, "web")
    client = web["node-1"]
    seen = {l.rsplit(":", 1)[0] for l in hostnames(cluster, client["metadata"]["name"], f"http://{ip}/clientip", 20)}
    # Every backend, on this node or another, sees the client pod's own address...
    assert client["status"]["podIP"] in seen
    # ...except the client itself when it reaches itself (hairpin), which is masqueraded to its node.
    self_hits = [l for l in hostnames(cluster, client["metadata"]["name"], f"http://{ip}/hostname", 40)
                 if l == client["metadata"]["name"]]
    assert self_hits, "a pod never reached itself through its own Service"
    assert seen <= {client["status"]["podIP"], client["status"]["podIP"].rsplit(".", 1)[0] + ".1"}
    # The node itself is masqueraded (its address is not a pod address).
    from_node = in_node(cluster, 3, "curl", "-s", "-m", "2", f"http://{ip}/clientip").stdout
    assert from_node.rsplit(":", 1)[0] in (node_ip(cluster, 3), web["node-3"]["status"]["podIP"].rsplit(".", 1)[0] + ".1")


def test_same_port_over_tcp_and_udp(cluster, web):
    cluster.apply(service("dual", "web", ports="[{name: tcp, port: 53, targetPort: 8080}, "
                                               "{name: udp, port: 53, targetPort: 8081, protocol: UDP}]"))
    ip = cluster_ip(cluster, "dual")
    client = web["node-2"]["metadata"]["name"]
    until_routed(cluster, client, f"http://{ip}:53/hostname", "web-")
    udp = in_pod(cluster, client, f"curl -s 'http://127.0.0.1:8080/dial?request=hostname&protocol=udp&host={ip}&port=53&tries=20'").stdout
    assert set(json.loads(udp)["responses"]) == {p["metadata"]["name"] for p in web.values()}


def test_service_without_endpoints_refuses_at_once(cluster, web):
    cluster.apply(service("nobody", "nobody"))
    ip = cluster_ip(cluster, "nobody")
    client = web["node-1"]["metadata"]["name"]
    wait_for("the empty service rejected", lambda: in_pod(cluster, client, f"curl -s -m 5 http://{ip}/", check=False).returncode == 7)
    r = in_pod(cluster, client, f"curl -s -m 5 http://{ip}/", check=False)
    assert r.returncode == 7, "connection refused (7), not a timeout (28)"
    # A port the Service does not have is refused as well.
    assert in_pod(cluster, client, f"curl -s -m 5 http://{cluster_ip(cluster, 'web')}:81/", check=False).returncode == 7


def test_services_cannot_be_pinged(cluster, web):
    ip = cluster_ip(cluster, "web")
    r = in_pod(cluster, web["node-1"]["metadata"]["name"], f"ping -c 1 -W 2 {ip}", check=False)
    assert r.returncode != 0
    assert "Port Unreachable" in r.stdout, r.stdout
    # The pods behind it answer pings.
    assert in_pod(cluster, web["node-1"]["metadata"]["name"], f"ping -c 1 -W 2 {web['node-2']['status']['podIP']}").returncode == 0


def test_nodeport_answers_on_every_node_ip(cluster, web):
    cluster.apply(service("web-np", "web", spec="\n  type: NodePort", ports="[{name: http, port: 80, targetPort: 8080, nodePort: 30080}]"))
    names = {p["metadata"]["name"] for p in web.values()}
    for i in (1, 2, 3):
        url = f"http://{node_ip(cluster, i)}:30080/hostname"
        wait_for(f"NodePort on node {i}", lambda: sh("curl", "-s", "-m", "2", url, check=False).stdout.startswith("web-"), timeout=20)
        seen = {sh("curl", "-s", "-m", "2", url).stdout for _ in range(30)}
        assert seen == names
        # externalTrafficPolicy Cluster: the pod sees a node address, not the host's.
        assert sh("curl", "-s", "-m", "2", f"http://{node_ip(cluster, i)}:30080/clientip").stdout.rsplit(":", 1)[0] != host_ip(cluster)


def test_external_traffic_policy_local_and_health_checks(cluster, web):
    cluster.apply(service("web-local", "web", spec="\n  type: LoadBalancer\n  externalTrafficPolicy: Local",
                          ports="[{name: http, port: 80, targetPort: 8080, nodePort: 30081}]"))
    cluster.kubectl("delete", "pod", "web-3", "--wait=false")
    svc = cluster.get("service", "web-local")
    hc = svc["spec"]["healthCheckNodePort"]

    def health(i):
        r = sh("curl", "-s", "-m", "2", "-w", "\n%{http_code}", f"http://{node_ip(cluster, i)}:{hc}/", check=False).stdout
        body, code = r.rsplit("\n", 1)
        return code, body
    wait_for("node-3 health check 503", lambda: health(3)[0] == "503", timeout=30)
    code, body = health(1)
    assert code == "200"
    assert json.loads(body) == {"service": {"namespace": "default", "name": "web-local"}, "localEndpoints": 1,
                                "serviceProxyHealthy": True}
    assert json.loads(health(3)[1])["localEndpoints"] == 0
    # Only the node's own pod answers, and it sees the host's real address.
    for i in (1, 2):
        url = f"http://{node_ip(cluster, i)}:30081"
        assert {sh("curl", "-s", "-m", "2", url + "/hostname").stdout for _ in range(10)} == {web[f"node-{i}"]["metadata"]["name"]}
        assert sh("curl", "-s", "-m", "2", url + "/clientip").stdout.rsplit(":", 1)[0] == host_ip(cluster)
    # A node without a local endpoint drops outside traffic.
    assert sh("curl", "-s", "-m", "2", f"http://{node_ip(cluster, 3)}:30081/", check=False).returncode == 28
    # The proxy's own health endpoint.
    proxy = json.loads(sh("curl", "-s", "-m", "2", f"http://{node_ip(cluster, 2)}:10256/healthz").stdout)
    assert proxy["nodeName"] == "node-2" and proxy["nodeHealthy"] is True
    cluster.apply(pod("web-3", "node-3", "web"))
    ready_pods(cluster, "app=web", 3)
    wait_for("node-3 health check 200", lambda: health(3)[0] == "200", timeout=30)


def test_internal_traffic_policy_local(cluster, web):
    cluster.apply(service("web-itp", "web", spec="\n  internalTrafficPolicy: Local"))
    ip = cluster_ip(cluster, "web-itp")
    pods = {p["spec"]["nodeName"]: p for p in ready_pods(cluster, "app=web", 3)}
    for node, p in pods.items():
        until_routed(cluster, p["metadata"]["name"], f"http://{ip}/hostname", "web-")
        assert set(hostnames(cluster, p["metadata"]["name"], f"http://{ip}/hostname", 10)) == {p["metadata"]["name"]}


def test_external_ips_are_routed(cluster, web):
    external = node_ip(cluster, 0).rsplit(".", 1)[0] + ".100"  # below the load balancer pool (.128-.254)
    cluster.apply(service("web-ext", "web", spec=f"\n  externalIPs: [{external}]"))
    client = web["node-1"]["metadata"]["name"]
    until_routed(cluster, client, f"http://{external}/hostname", "web-")
    # From the host, through a node that has the address routed to it.
    sh("ip", "route", "replace", f"{external}/32", "via", node_ip(cluster, 2))
    try:
        assert sh("curl", "-s", "-m", "2", f"http://{external}/hostname").stdout.startswith("web-")
    finally:
        sh("ip", "route", "del", f"{external}/32", check=False)


def test_session_affinity_sticks_and_can_be_switched(cluster, web):
    cluster.apply(service("web-sticky", "web", spec="\n  sessionAffinity: ClientIP\n  sessionAffinityConfig: {clientIP: {timeoutSeconds: 60}}"))
    ip = cluster_ip(cluster, "web-sticky")
    client = web["node-2"]["metadata"]["name"]
    until_routed(cluster, client, f"http://{ip}/hostname", "web-")
    assert len(set(hostnames(cluster, client, f"http://{ip}/hostname", 20))) == 1
    cluster.kubectl("patch", "service", "web-sticky", "-p", '{"spec":{"sessionAffinity":"None"}}')
    wait_for("affinity off", lambda: len(set(hostnames(cluster, client, f"http://{ip}/hostname", 20))) == 3, timeout=20)
    cluster.kubectl("patch", "service", "web-sticky", "-p", '{"spec":{"sessionAffinity":"ClientIP"}}')
    wait_for("affinity on", lambda: len(set(hostnames(cluster, client, f"http://{ip}/hostname", 20))) == 1, timeout=20)
    # A different client may stick elsewhere, but it sticks too.
    other = web["node-3"]["metadata"]["name"]
    assert len(set(hostnames(cluster, other, f"http://{ip}/hostname", 20))) == 1


def test_unready_pods_get_no_traffic_unless_published(cluster, web):
    cluster.apply(pod("shy", "node-2", "shy", probe="/never-ready") + service("shy", "shy")
                  + service("shy-published", "shy", spec="\n  publishNotReadyAddresses: true"))
    client = web["node-1"]["metadata"]["name"]
    wait_for("shy running", lambda: cluster.get("pod", "shy")["status"].get("podIP"))
    until_routed(cluster, client, f"http://{cluster_ip(cluster, 'shy-published')}/hostname", "shy")
    assert in_pod(cluster, client, f"curl -s -m 2 http://{cluster_ip(cluster, 'shy')}/", check=False).returncode == 7


def test_skipped_services_get_no_rules_and_other_tables_are_untouched(cluster, web):
    bystander = "table ip bystander {\n\tchain c {\n\t\ttype filter hook input priority 0; policy accept;\n\t\tcounter\n\t}\n}"
    subprocess.run(["ip", "netns", "exec", node_ns(cluster, 1), "nft", "-f", "-"], input=bystander, text=True, check=True)
    cluster.apply(service("other-proxy", "web", labels="{service.kubernetes.io/service-proxy-name: other}")
                  + service("headless", "web", spec="\n  clusterIP: None"))
    cluster.apply(service("churn", "web"))
    client = web["node-1"]["metadata"]["name"]
    until_routed(cluster, client, f"http://{cluster_ip(cluster, 'churn')}/hostname", "web-")
    cluster.kubectl("delete", "service", "churn")
    table = in_node(cluster, 1, "nft", "list", "table", "ip", f"swiftlet-{cluster.name}").stdout
    assert cluster_ip(cluster, "other-proxy") not in table
    assert "/headless/" not in table
    wait_for("churn gone", lambda: "/churn/" not in in_node(cluster, 1, "nft", "list", "table", "ip", f"swiftlet-{cluster.name}").stdout)
    assert in_node(cluster, 1, "nft", "list", "table", "ip", "bystander").returncode == 0
    in_node(cluster, 1, "nft", "delete", "table", "ip", "bystander")


def test_rolling_update_loses_no_request_and_scale_to_zero_refuses(cluster):
    cluster.apply(f"""
apiVersion: apps/v1
kind: Deployment
metadata: {{name: roll}}
spec:
  replicas: 3
  selector: {{matchLabels: {{app: roll}}}}
  template:
    metadata: {{labels: {{app: roll}}}}
    spec:
      terminationGracePeriodSeconds: 5
      containers:
      - name: app
        image: {AGNHOST}
        args: ["netexec", "--http-port=8080"]
        readinessProbe: {{httpGet: {{path: /healthz, port: 8080}}, periodSeconds: 1}}
---
""" + service("roll", "roll"))
    cluster.kubectl("rollout", "status", "deployment/roll", "--timeout=60s")
    ip = cluster_ip(cluster, "roll")
    wait_for("roll routed", lambda: in_node(cluster, 1, "curl", "-s", "-m", "2", f"http://{ip}/hostname", check=False).stdout.startswith("roll-"))
    loop = subprocess.Popen(["ip", "netns", "exec", node_ns(cluster, 1), "sh", "-c",
                             f"ok=0; fail=0; while [ ! -e /tmp/stop-{cluster.name} ]; do "
                             f"if curl -s -m 2 -o /dev/null http://{ip}/hostname; then ok=$((ok+1)); else fail=$((fail+1)); fi; done; "
                             f"echo $ok $fail"], stdout=subprocess.PIPE, text=True)
    try:
        time.sleep(1)
        cluster.kubectl("set", "env", "deployment/roll", "GENERATION=2")
        cluster.kubectl("rollout", "status", "deployment/roll", "--timeout=90s")
        wait_for("old pods gone", lambda: len(cluster.get("pods", "-l", "app=roll")["items"]) == 3, timeout=60)
        time.sleep(1)
    finally:
        open(f"/tmp/stop-{cluster.name}", "w").close()
        out, _ = loop.communicate(timeout=30)
        os.remove(f"/tmp/stop-{cluster.name}")
    ok, fail = map(int, out.split())
    assert ok > 50 and fail == 0, f"{ok} requests answered, {fail} failed during the rolling update"
    cluster.kubectl("scale", "deployment/roll", "--replicas=0")
    wait_for("no roll pods", lambda: not cluster.get("pods", "-l", "app=roll")["items"], timeout=60)
    r = in_node(cluster, 1, "curl", "-s", "-m", "5", f"http://{ip}/", check=False)
    assert r.returncode == 7


UDP_CLIENT = r"""
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("", 40404))
s.settimeout(0.5)
deadline = time.time() + float(sys.argv[3])
want = sys.argv[4]
while time.time() < deadline:
    s.sendto(b"hostname", (sys.argv[1], int(sys.argv[2])))
    try:
        got = s.recv(100).decode()
        if got.startswith(want):
            print(got); sys.exit(0)
    except socket.timeout:
        pass
    time.sleep(0.1)
sys.exit(1)
"""


def test_udp_flows_follow_endpoints(cluster):
    """One client address and port keeps sending: conntrack must not pin it to a gone pod,
    nor to the time before the Service had any endpoint."""
    cluster.apply(service("udp", "udp", ports="[{name: udp, port: 5353, targetPort: 8081, protocol: UDP}]"))
    ip = cluster_ip(cluster, "udp")
    client = ["ip", "netns", "exec", node_ns(cluster, 1), "python3", "-c", UDP_CLIENT, ip, "5353"]
    # No endpoint yet: nothing answers.
    assert subprocess.run(client + ["1", "udp-"], capture_output=True).returncode == 1
    cluster.apply(pod("udp-a", "node-2", "udp"))
    ready_pods(cluster, "app=udp", 1)
    assert subprocess.run(client + ["20", "udp-a"], capture_output=True, text=True).stdout.strip() == "udp-a"
    cluster.kubectl("delete", "pod", "udp-a", "--wait=true")
    cluster.apply(pod("udp-b", "node-3", "udp"))
    ready_pods(cluster, "app=udp", 1)
    assert subprocess.run(client + ["20", "udp-b"], capture_output=True, text=True).stdout.strip() == "udp-b"


KEEPALIVE_CLIENT = r"""
import http.client, sys, time
c = http.client.HTTPConnection(sys.argv[1], 80, timeout=5)
port = None
while True:
    line = sys.stdin.readline()
    if not line:
        break
    c.request("GET", "/hostname")
    body = c.getresponse().read().decode()
    local = c.sock.getsockname()[1]
    print(body, local, flush=True)
"""


def test_agent_restart_keeps_established_connections():
    """A node agent killed and started again replaces its table in one transaction:
    a connection through a ClusterIP keeps working on the same socket, and new changes
    are programmed."""
    c = Cluster(nodes=2, extra=("--agent-processes",))
    node = None
    try:
        c.start()
        c.apply(pod("far", "node-2", "far") + service("far", "far"))
        ready_pods(c, "app=far", 1)
        ip = cluster_ip(c, "far")
        wait_for("far routed", lambda: in_node(c, 1, "curl", "-s", "-m", "2", f"http://{ip}/hostname", check=False).stdout == "far")
        client = subprocess.Popen(["ip", "netns", "exec", node_ns(c, 1), "python3", "-c", KEEPALIVE_CLIENT, ip],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

        def ask():
            client.stdin.write("\n")
            client.stdin.flush()
            return client.stdout.readline().split()
        first = ask()
        assert first[0] == "far"
        agent = next(l.split()[0] for l in sh("ps", "-ewwo", "pid,args").stdout.splitlines()
                     if " node " in l and c.data in l and "--index 1" in l)
        os.kill(int(agent), signal.SIGKILL)
        node = subprocess.Popen([BIN, "node", "--data-dir", c.data, "--index", "1"], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        # The restarted proxy programs a new Service...
        c.apply(service("after", "far"))
        after = cluster_ip(c, "after")
        wait_for("new service routed after restart",
                 lambda: in_node(c, 1, "curl", "-s", "-m", "2", f"http://{after}/hostname", check=False).stdout == "far", timeout=60)
        # ...and the connection opened before the restart still works, on the same socket.
        again = ask()
        assert again == first
        client.stdin.close()
        client.wait(timeout=10)
    finally:
        if node:
            node.kill()
            node.wait()
        c.close()
