"""`swiftlet up` end to end: nodes, pods in network namespaces, exec/logs, env vars,
probes and restarts, graceful deletion, and `swiftlet down` leaving nothing behind."""
import json
import os
import subprocess
import time

import pytest

from cluster import AGNHOST, BIN, Cluster, deployment, pod_cgroups, pod_pids, ready_pods, running_cluster, sh, wait_for

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="swiftlet up needs root (network namespaces)")

@pytest.fixture(scope="module")
def cluster():
    yield from running_cluster(3)


def test_up_registers_ready_nodes_and_guards_ranges(cluster):
    nodes = cluster.get("nodes")["items"]
    assert sorted(n["metadata"]["name"] for n in nodes) == ["node-1", "node-2", "node-3"]
    for n in nodes:
        ready = next(c for c in n["status"]["conditions"] if c["type"] == "Ready")
        assert ready["status"] == "True"
        assert n["spec"]["podCIDR"].startswith(cluster.pod_cidr.split(".0.0/")[0])
    wide = cluster.kubectl("get", "nodes", "-o", "wide").stdout
    assert "172.31." in wide and "Ready" in wide
    routes = sh("ip", "-o", "route", "show").stdout
    for r in (cluster.node_cidr, cluster.pod_cidr, cluster.service_cidr):
        assert f"unreachable {r} metric 4242" in routes
    netns = sh("ip", "netns", "list").stdout
    for i in (1, 2, 3):
        assert f"swl-{cluster.name}-node-{i}" in netns
    assert "kubectl config use-context" in cluster.log() and cluster.data in cluster.log()


def test_pods_on_every_node_reach_each_other_by_ip(cluster):
    cluster.apply(deployment("web", 6))
    pods = ready_pods(cluster, "app=web", 6)
    assert {p["spec"]["nodeName"] for p in pods} == {"node-1", "node-2", "node-3"}
    by_node = {}
    for p in pods:
        by_node.setdefault(p["spec"]["nodeName"], p)
    a, b = by_node["node-1"], by_node["node-2"]
    # Pod to pod across nodes, with the client's own address seen by the server.
    out = cluster.kubectl("exec", a["metadata"]["name"], "--", "curl", "-s", "-m", "5",
                          f"http://{b['status']['podIP']}:8080/hostname").stdout
    assert out == b["metadata"]["name"]
    seen = cluster.kubectl("exec", a["metadata"]["name"], "--", "curl", "-s", "-m", "5",
                           f"http://{b['status']['podIP']}:8080/clientip").stdout
    assert seen.split(":")[0] == a["status"]["podIP"]
    # UDP too, and from the host through the node routes.
    udp = cluster.kubectl("exec", a["metadata"]["name"], "--", "curl", "-s", "-m", "5",
                          f"http://127.0.0.1:8080/dial?request=hostname&protocol=udp&host={b['status']['podIP']}&port=8081").stdout
    assert json.loads(udp)["responses"] == [b["metadata"]["name"]]
    assert sh("curl", "-s", "-m", "5", f"http://{b['status']['podIP']}:8080/hostname").stdout == b["metadata"]["name"]
    # Each pod has its own namespace with eth0 and its hostname.
    addr = cluster.kubectl("exec", a["metadata"]["name"], "--", "ip", "-o", "-4", "addr", "show", "eth0").stdout
    assert a["status"]["podIP"] + "/32" in addr  # a point-to-point link to its node
    assert cluster.kubectl("exec", a["metadata"]["name"], "--", "hostname").stdout.strip() == a["metadata"]["name"]


def test_pod_status_as_kubectl_shows_it(cluster):
    pod = ready_pods(cluster, "app=web", 6)[0]
    st = pod["status"]
    assert st["phase"] == "Running"
    assert st["hostIP"].startswith("172.31.")
    assert st["podIPs"] == [{"ip": st["podIP"]}]
    types = [c["type"] for c in st["conditions"]]
    for t in ("PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled"):
        assert t in types
    cs = st["containerStatuses"][0]
    assert cs["ready"] and cs["started"] and "running" in cs["state"] and cs["restartCount"] == 0
    line = cluster.kubectl("get", "pod", pod["metadata"]["name"], "-o", "wide").stdout.splitlines()[1]
    assert "1/1" in line and "Running" in line and st["podIP"] in line and pod["spec"]["nodeName"] in line


def test_logs_and_exec(cluster):
    pod = ready_pods(cluster, "app=web", 6)[0]["metadata"]["name"]
    logs = cluster.kubectl("logs", pod).stdout
    assert "listening on 0.0.0.0:8080" in logs
    r = cluster.kubectl("exec", pod, "--", "sh", "-c", "echo out; echo err >&2; exit 3", check=False)
    assert r.returncode == 3
    assert r.stdout == "out\n" and "err" in r.stderr
    assert cluster.kubectl("exec", "-i", pod, "--", "tr", "a-z", "A-Z", input="hello pods\n").stdout == "HELLO PODS\n"
    # The agent ignores SIGPIPE; what runs in the pod starts with the default (bit 13 clear).
    ignored = cluster.kubectl("exec", pod, "--", "grep", "SigIgn", "/proc/self/status").stdout.split()[1]
    assert int(ignored, 16) & (1 << (13 - 1)) == 0, ignored
    missing = cluster.kubectl("exec", "no-such-pod", "--", "true", check=False)
    assert missing.returncode != 0 and 'pods "no-such-pod" not found' in missing.stderr
    bad = cluster.kubectl("logs", pod, "-c", "nope", check=False)
    assert bad.returncode != 0 and "container nope is not valid" in bad.stderr
    # Follow: output written after the request arrives is streamed.
    cluster.kubectl("exec", pod, "--", "curl", "-s", "http://127.0.0.1:8080/echo?msg=x")
    follow = subprocess.Popen(["kubectl", "logs", "-f", pod], stdout=subprocess.PIPE, text=True, env=cluster.env)
    time.sleep(1)
    follow.terminate()
    out, _ = follow.communicate(timeout=10)
    assert "listening on 0.0.0.0:8080" in out


def test_hostile_log_queries_are_refused_and_the_cluster_lives_on(cluster):
    """`limitBytes=-1` used to trap in the node agent and take the whole `swiftlet up` down."""
    pod = ready_pods(cluster, "app=web", 6)[0]["metadata"]["name"]
    base = f"/api/v1/namespaces/default/pods/{pod}/log"
    for query, code, text in [
        ("limitBytes=-1", 422, "limitBytes: Invalid value: -1: must be greater than 0"),
        ("tailLines=-1", 422, "tailLines: Invalid value: -1: must be greater than or equal to 0"),
        ("sinceSeconds=0", 422, "sinceSeconds: Invalid value: 0: must be greater than 0"),
        ("limitBytes=lots", 400, 'strconv.ParseInt: parsing "lots": invalid syntax'),
    ]:
        r = cluster.kubectl("get", "--raw", f"{base}?{query}", check=False)
        assert r.returncode != 0, query
        assert text in r.stderr, (query, r.stderr)
    assert len(cluster.kubectl("get", "--raw", f"{base}?limitBytes=9").stdout.encode()) == 9
    # Still alive and serving: the logs, and the API.
    assert "listening on 0.0.0.0:8080" in cluster.kubectl("logs", pod, "--limit-bytes=200").stdout
    assert cluster.kubectl("get", "--raw", "/readyz").stdout == "ok"


def test_service_env_vars_as_the_kubelet_sets_them(cluster):
    cluster.apply("""
apiVersion: v1
kind: Pod
metadata: {name: before}
spec:
  containers: [{name: app, image: registry.k8s.io/e2e-test-images/agnhost:2.53, args: [pause]}]
""")
    wait_for("pod before running", lambda: cluster.get("pod", "before")["status"].get("phase") == "Running")
    cluster.apply("""
apiVersion: v1
kind: Service
metadata: {name: quiz}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: 8080}, {name: udp, port: 81, protocol: UDP, targetPort: 8081}]
---
apiVersion: v1
kind: Pod
metadata: {name: after}
spec:
  containers:
  - name: app
    image: registry.k8s.io/e2e-test-images/agnhost:2.53
    args: [pause]
    env:
    - {name: QUIZ_SERVICE_PORT, value: "mine"}
    - {name: MY_POD, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
    - {name: MY_IP, valueFrom: {fieldRef: {fieldPath: status.podIP}}}
    - {name: MY_NODE, valueFrom: {fieldRef: {fieldPath: spec.nodeName}}}
---
apiVersion: v1
kind: Pod
metadata: {name: nolinks}
spec:
  enableServiceLinks: false
  containers: [{name: app, image: registry.k8s.io/e2e-test-images/agnhost:2.53, args: [pause]}]
""")
    for name in ("after", "nolinks"):
        wait_for(f"pod {name} running", lambda: cluster.get("pod", name)["status"].get("phase") == "Running")

    def env(pod):
        out = cluster.kubectl("exec", pod, "--", "env").stdout
        return dict(l.split("=", 1) for l in out.splitlines() if "=" in l)

    ip = cluster.get("svc", "quiz")["spec"]["clusterIP"]
    after = env("after")
    assert after["QUIZ_SERVICE_HOST"] == ip
    assert after["QUIZ_SERVICE_PORT"] == "mine"  # explicit env wins
    assert after["QUIZ_SERVICE_PORT_HTTP"] == "80"
    assert after["QUIZ_PORT"] == f"tcp://{ip}:80"
    assert after["QUIZ_PORT_80_TCP"] == f"tcp://{ip}:80"
    assert after["QUIZ_PORT_80_TCP_PROTO"] == "tcp"
    assert after["QUIZ_PORT_80_TCP_PORT"] == "80"
    assert after["QUIZ_PORT_80_TCP_ADDR"] == ip
    assert after["QUIZ_PORT_81_UDP_PROTO"] == "udp"
    assert after["KUBERNETES_SERVICE_HOST"] == cluster.get("svc", "kubernetes")["spec"]["clusterIP"]
    pod = cluster.get("pod", "after")
    assert after["MY_POD"] == "after" and after["MY_IP"] == pod["status"]["podIP"] and after["MY_NODE"] == pod["spec"]["nodeName"]
    before = env("before")
    assert "QUIZ_SERVICE_HOST" not in before and "KUBERNETES_SERVICE_HOST" in before
    nolinks = env("nolinks")
    assert "QUIZ_SERVICE_HOST" not in nolinks and "KUBERNETES_SERVICE_HOST" in nolinks


def test_resolv_conf_and_hosts(cluster):
    cluster.apply("""
apiVersion: v1
kind: Pod
metadata: {name: dnsy, namespace: default}
spec:
  hostname: web-0
  subdomain: web
  hostAliases: [{ip: 10.1.2.3, hostnames: [db.example]}]
  dnsConfig: {options: [{name: ndots, value: "2"}]}
  containers: [{name: app, image: registry.k8s.io/e2e-test-images/agnhost:2.53, args: [pause]}]
""")
    wait_for("pod dnsy running", lambda: cluster.get("pod", "dnsy")["status"].get("phase") == "Running")
    resolv = cluster.kubectl("exec", "dnsy", "--", "cat", "/etc/resolv.conf").stdout
    dns_ip = cluster.service_cidr.replace(".0.0/16", ".0.10")
    assert resolv == f"search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver {dns_ip}\noptions ndots:2\n"
    hosts = cluster.kubectl("exec", "dnsy", "--", "cat", "/etc/hosts").stdout
    ip = cluster.get("pod", "dnsy")["status"]["podIP"]
    assert f"{ip}\tweb-0.web.default.svc.cluster.local\tweb-0\n" in hosts
    assert "10.1.2.3\tdb.example\n" in hosts
    assert cluster.kubectl("exec", "dnsy", "--", "hostname").stdout.strip() == "web-0"


def test_probes_restarts_and_crash_loop(cluster):
    cluster.apply("""
apiVersion: v1
kind: Pod
metadata: {name: unready, labels: {app: unready}}
spec:
  containers:
  - name: app
    image: registry.k8s.io/e2e-test-images/agnhost:2.53
    args: [netexec, --http-port=8080]
    readinessProbe: {tcpSocket: {port: 9999}, periodSeconds: 1, failureThreshold: 1}
    livenessProbe: {exec: {command: [sh, -c, "exit 0"]}, periodSeconds: 1}
---
apiVersion: v1
kind: Service
metadata: {name: unready}
spec:
  selector: {app: unready}
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: Pod
metadata: {name: crasher}
spec:
  containers:
  - {name: app, image: registry.k8s.io/e2e-test-images/agnhost:2.53, command: [sh, -c, "echo run $(date +%s%N); exit 2"]}
---
apiVersion: v1
kind: Pod
metadata: {name: unhealthy}
spec:
  containers:
  - name: app
    image: registry.k8s.io/e2e-test-images/agnhost:2.53
    args: [netexec, --http-port=8080]
    livenessProbe: {httpGet: {path: /missing, port: 8080}, periodSeconds: 1, failureThreshold: 2}
    terminationGracePeriodSeconds: 1
""")

    def unready_endpoint():
        ep = cluster.get("endpoints", "unready")
        subsets = ep.get("subsets") or []
        return subsets and subsets[0].get("notReadyAddresses") and not subsets[0].get("addresses")
    wait_for("unready pod in notReadyAddresses", unready_endpoint)
    # The address is published with the sandbox, a moment before the container runs.
    wait_for("unready running", lambda: cluster.get("pod", "unready")["status"]["phase"] == "Running")
    st = cluster.get("pod", "unready")["status"]
    assert st["containerStatuses"][0]["ready"] is False

    def crash_looping():
        cs = cluster.get("pod", "crasher")["status"]["containerStatuses"][0]
        return cs["restartCount"] >= 1 and cs["state"].get("waiting", {}).get("reason") == "CrashLoopBackOff" and cs
    cs = wait_for("CrashLoopBackOff", crash_looping, timeout=60)
    assert cs["lastState"]["terminated"]["exitCode"] == 2
    assert "CrashLoopBackOff" in cluster.kubectl("get", "pod", "crasher").stdout
    assert cluster.kubectl("logs", "crasher", "--previous").stdout.startswith("run ")

    wait_for("liveness restarts", lambda: cluster.get("pod", "unhealthy")["status"]["containerStatuses"][0]["restartCount"] >= 1,
             timeout=60)
    events = cluster.kubectl("get", "events", "--field-selector", "involvedObject.name=unhealthy").stdout
    assert "Liveness probe failed: HTTP probe failed with statuscode: 404" in events


def test_graceful_deletion_releases_namespace_and_address(cluster):
    cluster.apply("""
apiVersion: v1
kind: Pod
metadata: {name: goner}
spec:
  terminationGracePeriodSeconds: 5
  containers: [{name: app, image: registry.k8s.io/e2e-test-images/agnhost:2.53, args: [netexec, --http-port=8080]}]
""")
    pod = wait_for("goner running", lambda: (p := cluster.get("pod", "goner"))["status"].get("phase") == "Running" and p)
    uid = pod["metadata"]["uid"]
    assert pod_pids(cluster, uid)
    start = time.time()
    cluster.kubectl("delete", "pod", "goner", "--wait=true", timeout=60)
    # netexec exits on SIGTERM at once, so the pod goes well before its grace period.
    assert time.time() - start < 5
    # Its processes, cgroup and address are gone with it.
    assert not pod_pids(cluster, uid) and not pod_cgroups(cluster, uid)
    assert cluster.kubectl("get", "pod", "goner", check=False).returncode != 0


def test_unsupported_pods_say_why(cluster):
    cluster.apply("""
apiVersion: v1
kind: Pod
metadata: {name: nginx}
spec:
  containers: [{name: web, image: nginx:1.27}]
---
apiVersion: v1
kind: Pod
metadata: {name: volumes}
spec:
  volumes: [{name: data, nfs: {server: 192.0.2.1, path: /export}}]
  containers: [{name: app, image: registry.k8s.io/e2e-test-images/agnhost:2.53, args: [pause],
                volumeMounts: [{name: data, mountPath: /data}]}]
""")

    def waiting(name):
        cs = cluster.get("pod", name)["status"].get("containerStatuses") or []
        return cs and cs[0]["state"].get("waiting", {}).get("reason") not in (None, "ContainerCreating") and cs[0]["state"]["waiting"]
    # No registry answers here: the pull fails with containerd's error, then backs off.
    w = wait_for("nginx waiting", lambda: waiting("nginx"))
    assert w["reason"] in ("ErrImagePull", "ImagePullBackOff") and "nginx:1.27" in w["message"]
    w = wait_for("volumes waiting", lambda: waiting("volumes"))
    assert w["reason"] == "CreateContainerConfigError" and "nfs" in w["message"]
    assert wait_for("nginx backing off", lambda: "ImagePullBackOff" in cluster.kubectl("get", "pod", "nginx").stdout)


def test_second_cluster_with_clashing_name_or_ranges_is_refused(cluster):
    clash = Cluster(nodes=1)
    try:
        clash.name = cluster.name
        clash.args[clash.args.index("--name") + 1] = cluster.name
        r = subprocess.run(clash.args, capture_output=True, text=True, env=clash.env, timeout=30)
        assert r.returncode != 0 and f"a cluster named {cluster.name} is already running" in r.stderr
        other = Cluster(nodes=1)
        other.args[other.args.index("--pod-cidr") + 1] = cluster.pod_cidr
        r = subprocess.run(other.args, capture_output=True, text=True, env=other.env, timeout=30)
        assert r.returncode != 0 and "overlaps" in r.stderr
        shutil_rm(other.tmp)
    finally:
        shutil_rm(clash.tmp)
    # The running cluster was not disturbed.
    assert cluster.get("node", "node-1")["metadata"]["name"] == "node-1"
    assert f"unreachable {cluster.pod_cidr} metric 4242" in sh("ip", "-o", "route").stdout


def shutil_rm(path):
    import shutil
    shutil.rmtree(path, ignore_errors=True)


def test_down_leaves_nothing_and_is_safe_twice():
    c = Cluster(nodes=2)
    try:
        c.start()
        c.apply(deployment("tmp", 2))
        pods = ready_pods(c, "app=tmp", 2)
        pids = []
        for p in pods:
            pids += pod_pids(c, p["metadata"]["uid"])
        assert pids
        # A crash: the cluster process dies without cleaning up.
        c.proc.kill()
        c.proc.wait()
        # By name alone, as after losing the data directory: the machine-wide list of clusters
        # still knows its ranges, so the guard routes go too.
        r = sh(BIN, "down", "--name", c.name, check=False, timeout=60)
        assert r.returncode == 0 and "removed" in r.stdout, r.stdout + r.stderr
        assert "route unreachable" in r.stdout, r.stdout
        assert not any(c.leftovers().values()), c.leftovers()
        def gone(pid):
            try:
                return open(f"/proc/{pid}/stat").read().split(")")[1].split()[0] in ("Z", "X")  # killed, awaiting reaping
            except OSError:
                return True
        for pid in pids:
            wait_for(f"pod process {pid} to end", lambda: gone(pid), timeout=20)
        again = c.down()
        assert again.returncode == 0 and "nothing left to remove" in again.stdout
        # Resume: the same data directory brings back the same cluster and its pods.
        c.start()
        assert "Resuming cluster" in c.log()
        ready_pods(c, "app=tmp", 2)
    finally:
        c.close()
    assert not any(c.leftovers().values()), c.leftovers()


def test_a_stopped_agent_makes_its_node_not_ready():
    c = Cluster(nodes=2, extra=["--agent-processes"])
    try:
        c.start()
        c.apply(deployment("lone", 2))
        pods = ready_pods(c, "app=lone", 2)
        victim = "node-2"
        agent = [l.split()[0] for l in sh("ps", "-ewwo", "pid,args").stdout.splitlines()
                 if c.data in l and " node " in l and "--index 2" in l]
        assert len(agent) == 1
        os.kill(int(agent[0]), 9)
        start = time.time()

        def not_ready():
            ready = next(x for x in c.get("node", victim)["status"]["conditions"] if x["type"] == "Ready")
            return ready["status"] == "Unknown" and ready
        ready = wait_for("node NotReady", not_ready, timeout=60, interval=1)
        took = time.time() - start
        assert took <= 55, f"node marked NotReady after {took:.0f} s"
        assert ready["reason"] == "NodeStatusUnknown"
        assert "NotReady" in c.kubectl("get", "node", victim).stdout
        on_victim = [p["metadata"]["name"] for p in pods if p["spec"]["nodeName"] == victim]
        if on_victim:
            def pod_unready():
                conds = c.get("pod", on_victim[0])["status"]["conditions"]
                return any(x["type"] == "Ready" and x["status"] == "False" for x in conds)
            wait_for("pod on the dead node not ready", pod_unready, timeout=20)
    finally:
        c.close()
