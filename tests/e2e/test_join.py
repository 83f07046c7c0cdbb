"""A node joins a running cluster with the bootstrap token `swiftlet up` prints: the token
alone sets up TLS trust (the signed kube-public/cluster-info), the node registers, runs pods
that reach and are reached from the other nodes, answers logs and exec, and takes its
namespace and routes with it when it stops. A wrong token is refused before anything is trusted."""
import os
import re
import signal
import subprocess

import pytest

from cluster import BIN, Cluster, deployment, ready_pods, sh, wait_for

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="swiftlet up needs root (network namespaces)")


def node_ready(c, name):
    nodes = c.get("nodes")["items"]
    return any(n["metadata"]["name"] == name and any(
        x["type"] == "Ready" and x["status"] == "True" for x in n["status"].get("conditions", [])) for n in nodes)


def test_a_node_joins_with_the_printed_token():
    c = Cluster(nodes=1)
    joiner = None
    try:
        c.start()
        m = re.search(r"Join another node: swiftlet node --server (\S+) --token (\S+)", c.log())
        assert m, c.log()
        server, token = m.groups()
        # No credentials of the cluster's: a fresh HOME, no KUBECONFIG.
        env = {k: v for k, v in os.environ.items() if k != "KUBECONFIG"}
        env["HOME"] = os.path.join(c.tmp, "elsewhere")
        os.makedirs(env["HOME"])

        wrong = subprocess.run([BIN, "node", "--server", server, "--token", token.split(".")[0] + ".0000000000000000"],
                               capture_output=True, text=True, env=env, timeout=30)
        assert wrong.returncode != 0 and "different secret" in wrong.stderr and "Nothing was trusted" in wrong.stderr, wrong.stderr
        unknown = subprocess.run([BIN, "node", "--server", server, "--token", "zzzzzz.0000000000000000"],
                                 capture_output=True, text=True, env=env, timeout=30)
        assert unknown.returncode != 0 and "swiftlet token create" in unknown.stderr, unknown.stderr
        # The token is a credential of the API; anything else is refused.
        def as_token(t, *args):
            return subprocess.run(["kubectl", "--server", server, "--certificate-authority", os.path.join(c.data, "pki", "ca.crt"),
                                   "--token", t, *(args or ("get", "node", "node-1", "-o", "name"))],
                                  capture_output=True, text=True, env=env, timeout=30)
        assert as_token(token).stdout.strip() == "node/node-1"
        refused = as_token("zzzzzz.0000000000000000")
        assert refused.returncode != 0 and "Unauthorized" in refused.stderr, refused.stderr
        # A bootstrap token claims a node and asks for its certificate, and may do nothing else.
        secrets = as_token(token, "get", "secrets", "-n", "kube-system")
        assert secrets.returncode != 0 and "forbidden" in secrets.stderr, secrets.stderr

        log = open(os.path.join(c.tmp, "join.log"), "wb")
        joiner = subprocess.Popen([BIN, "node", "--server", server, "--token", token, "--data-dir", os.path.join(c.tmp, "joined")],
                                  stdout=log, stderr=subprocess.STDOUT, env=env)
        wait_for("node-2 Ready", lambda: node_ready(c, "node-2"), timeout=30)
        joined_log = open(os.path.join(c.tmp, "join.log")).read()
        assert "Joining cluster" in joined_log and "as node-2" in joined_log, joined_log
        # The joined node is a kubelet with its own certificate, from an approved request.
        csrs = c.kubectl("get", "csr").stdout.splitlines()
        assert csrs[0].split() == ["NAME", "AGE", "SIGNERNAME", "REQUESTOR", "REQUESTEDDURATION", "CONDITION"]
        row = [l.split() for l in csrs[1:] if l.startswith("node-csr-")]
        assert len(row) == 1, csrs
        assert row[0][2:] == ["kubernetes.io/kube-apiserver-client-kubelet", f"system:bootstrap:{token.split('.')[0]}",
                              "<none>", "Approved,Issued"], csrs

        c.apply(deployment("web", 4))
        c.kubectl("expose", "deployment", "web", "--port", "80", "--target-port", "8080")
        pods = ready_pods(c, "app=web", 4)
        by_node = {}
        for p in pods:
            by_node.setdefault(p["spec"]["nodeName"], []).append(p)
        assert set(by_node) == {"node-1", "node-2"}, by_node.keys()
        there, here = by_node["node-2"][0], by_node["node-1"][0]
        # Pod to pod across the nodes, both ways; a Service by name from the joined node.
        def fetch(pod, url):
            return c.kubectl("exec", pod["metadata"]["name"], "--", "curl", "-s", "-m", "3", url).stdout.strip()
        assert fetch(here, f"http://{there['status']['podIP']}:8080/hostname") == there["metadata"]["name"]
        assert fetch(there, f"http://{here['status']['podIP']}:8080/hostname") == here["metadata"]["name"]
        names = {p["metadata"]["name"] for p in pods}
        assert fetch(there, "http://web.default.svc.cluster.local/hostname") in names
        # Logs come from the joined node's agent through the API server.
        assert "listening" in c.kubectl("logs", there["metadata"]["name"]).stdout

        # A DaemonSet runs on the joined node too.
        c.apply("""
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: everywhere}
spec:
  selector: {matchLabels: {app: everywhere}}
  template:
    metadata: {labels: {app: everywhere}}
    spec:
      containers: [{name: a, image: registry.k8s.io/e2e-test-images/agnhost:2.53, args: [pause]}]
""")
        daemons = ready_pods(c, "app=everywhere", 2, timeout=60)
        assert sorted(p["spec"]["nodeName"] for p in daemons) == ["node-1", "node-2"]

        # Another token for the next node.
        made = sh(BIN, "token", "create", "--data-dir", c.data).stdout
        assert re.match(r"swiftlet node --server https://\S+ --token [a-z0-9]{6}\.[a-z0-9]{16}$", made.strip()), made
        assert len([s for s in c.get("secrets", "-n", "kube-system")["items"]
                    if s["type"] == "bootstrap.kubernetes.io/token"]) == 2

        # Stopping the joined node takes its namespace and host route with it.
        joiner.send_signal(signal.SIGTERM)
        assert joiner.wait(timeout=30) == 0
        assert f"swl-{c.name}-node-2" not in sh("ip", "netns", "list").stdout
        node2_pods = c.pod_cidr.split(".")[0] + "." + c.pod_cidr.split(".")[1] + ".2.0/24"
        assert node2_pods not in sh("ip", "route", "show").stdout
    finally:
        if joiner and joiner.poll() is None:
            # Stopped as a user stops it, so its containerd and pods go too.
            joiner.send_signal(signal.SIGTERM)
            try:
                joiner.wait(timeout=30)
            except subprocess.TimeoutExpired:
                joiner.kill()
                joiner.wait()
        c.close()
    assert not any(c.leftovers().values()), c.leftovers()
