"""Deployments → ReplicaSets → Pods, scheduling onto Ready nodes, scaling and rolling updates.

No node agents run here: `FakeKubelet` marks bound pods Running and Ready through the API, as
a kubelet would, so the controllers' behaviour can be seen on its own.
"""
import json
import threading
import time

from test_endpoints import eventually

DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: kiada}
spec:
  replicas: 3
  strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 1, maxUnavailable: 0}}
  selector: {matchLabels: {app: kiada}}
  template:
    metadata: {labels: {app: kiada}}
    spec:
      containers: [{name: kiada, image: "registry.k8s.io/e2e-test-images/agnhost:2.53", args: [netexec]}]
"""


def add_node(server, name, ready=True):
    server.kubectl("apply", "-f", "-", input=f"apiVersion: v1\nkind: Node\nmetadata: {{name: {name}}}\n")
    status = {"status": {"conditions": [{"type": "Ready", "status": "True" if ready else "False"}]}}
    server.kubectl("patch", "node", name, "--subresource=status", "--type=merge", "-p", json.dumps(status))


def pods(server, selector="app=kiada"):
    return json.loads(server.kubectl("get", "pods", "-l", selector, "-o", "json").stdout)["items"]


class FakeKubelet(threading.Thread):
    """Marks every bound, not yet running pod Running and Ready with an IP."""

    def __init__(self, server):
        super().__init__(daemon=True)
        self.server = server
        self.stop = threading.Event()
        self.n = 0

    def run(self):
        while not self.stop.is_set():
            for p in pods(self.server, "app"):
                if p["spec"].get("nodeName") and p["status"].get("phase") != "Running" and not p["metadata"].get("deletionTimestamp"):
                    self.n += 1
                    status = {"status": {"phase": "Running", "podIP": f"10.244.9.{self.n % 250}",
                                         "conditions": [{"type": "Ready", "status": "True"}]}}
                    self.server.kubectl("patch", "pod", p["metadata"]["name"], "--subresource=status", "--type=merge",
                                        "-p", json.dumps(status), check=False)
                if p["metadata"].get("deletionTimestamp"):
                    self.server.kubectl("delete", "pod", p["metadata"]["name"], "--grace-period=0", "--force", check=False)
            time.sleep(0.2)


def test_pod_without_ready_node_stays_pending_with_event(server):
    server.kubectl("run", "lonely", "--image=registry.k8s.io/e2e-test-images/agnhost:2.53", "--", "pause")
    def has_event():
        out = server.kubectl("get", "events", "--field-selector", "involvedObject.name=lonely").stdout
        return "FailedScheduling" in out and "no nodes available to schedule pods" in out
    eventually(has_event)
    pod = json.loads(server.kubectl("get", "pod", "lonely", "-o", "json").stdout)
    assert pod["status"]["phase"] == "Pending" and not pod["spec"].get("nodeName")
    assert "FailedScheduling" in server.kubectl("describe", "pod", "lonely").stdout
    add_node(server, "node-1")
    eventually(lambda: json.loads(server.kubectl("get", "pod", "lonely", "-o", "json").stdout)["spec"].get("nodeName") == "node-1")


def test_deployment_scale_and_rolling_update(server):
    add_node(server, "node-1")
    add_node(server, "node-2")
    add_node(server, "node-3", ready=False)
    kubelet = FakeKubelet(server)
    kubelet.start()
    try:
        server.kubectl("apply", "-f", "-", input=DEPLOYMENT)
        eventually(lambda: len(pods(server)) == 3 and all(p["spec"].get("nodeName") for p in pods(server)), timeout=20)
        nodes = sorted(p["spec"]["nodeName"] for p in pods(server))
        assert "node-3" not in nodes and set(nodes) == {"node-1", "node-2"}  # spread over Ready nodes only
        owner = pods(server)[0]["metadata"]["ownerReferences"][0]
        assert owner["kind"] == "ReplicaSet" and owner["controller"] is True
        assert "pod-template-hash" in pods(server)[0]["metadata"]["labels"]
        r = server.kubectl("rollout", "status", "deployment/kiada", "--timeout=30s", timeout=40)
        assert "successfully rolled out" in r.stdout

        server.kubectl("scale", "deployment", "kiada", "--replicas=5")
        eventually(lambda: len([p for p in pods(server) if not p["metadata"].get("deletionTimestamp")]) == 5, timeout=20)
        server.kubectl("rollout", "status", "deployment/kiada", "--timeout=30s", timeout=40)

        first_rs = {p["metadata"]["labels"]["pod-template-hash"] for p in pods(server)}
        server.kubectl("set", "image", "deployment/kiada", "kiada=registry.k8s.io/e2e-test-images/agnhost:2.54")
        r = server.kubectl("rollout", "status", "deployment/kiada", "--timeout=60s", timeout=70)
        assert "successfully rolled out" in r.stdout
        eventually(lambda: len(pods(server)) == 5 and {p["metadata"]["labels"]["pod-template-hash"] for p in pods(server)}.isdisjoint(first_rs), timeout=20)
        rs = json.loads(server.kubectl("get", "rs", "-o", "json").stdout)["items"]
        assert sorted(x["spec"]["replicas"] for x in rs) == [0, 5]
        row = server.kubectl("get", "deploy", "kiada").stdout.splitlines()[1].split()
        assert row[1] == "5/5" and row[2] == "5" and row[3] == "5"
        assert "ScalingReplicaSet" in server.kubectl("describe", "deployment", "kiada").stdout

        # Back to the first template: its ReplicaSet is reused as revision 3.
        server.kubectl("rollout", "undo", "deployment/kiada")
        r = server.kubectl("rollout", "status", "deployment/kiada", "--timeout=60s", timeout=70)
        assert "successfully rolled out" in r.stdout
        def back_to_first():
            hashes = {p["metadata"]["labels"]["pod-template-hash"] for p in pods(server)}
            assert hashes == first_rs, (hashes, first_rs)
            return True
        eventually(back_to_first, timeout=20)
        history = server.kubectl("rollout", "history", "deployment/kiada").stdout.split()
        assert "2" in history and "3" in history and "1" not in history, history
        # revisionHistoryLimit: only the newest idle ReplicaSet stays.
        server.kubectl("patch", "deployment", "kiada", "-p", '{"spec":{"revisionHistoryLimit":0}}')
        eventually(lambda: len(json.loads(server.kubectl("get", "rs", "-o", "json").stdout)["items"]) == 1, timeout=20)
    finally:
        kubelet.stop.set()
        kubelet.join(timeout=5)


def test_garbage_collection_background_orphan_foreground(server):
    # No nodes: pods stay unscheduled, so deleting them needs no kubelet to finish.
    server.kubectl("apply", "-f", "-", input=DEPLOYMENT)
    eventually(lambda: len(pods(server)) == 3, timeout=20)
    # Background (kubectl's default): the Deployment goes at once, then its ReplicaSet and pods.
    server.kubectl("delete", "deployment", "kiada")
    eventually(lambda: pods(server) == [] and json.loads(server.kubectl("get", "rs", "-o", "json").stdout)["items"] == [], timeout=20)

    # Orphan: the ReplicaSet stays, without its owner reference.
    server.kubectl("apply", "-f", "-", input=DEPLOYMENT)
    eventually(lambda: len(pods(server)) == 3, timeout=20)
    server.kubectl("delete", "deployment", "kiada", "--cascade=orphan")
    def orphaned():
        rs = json.loads(server.kubectl("get", "rs", "-o", "json").stdout)["items"]
        return len(rs) == 1 and not rs[0]["metadata"].get("ownerReferences")
    eventually(orphaned, timeout=20)
    assert server.kubectl("get", "deployment", "kiada", check=False).returncode != 0
    assert len(pods(server)) == 3

    # Foreground: the owner waits for its dependents.
    rs_name = json.loads(server.kubectl("get", "rs", "-o", "json").stdout)["items"][0]["metadata"]["name"]
    server.kubectl("delete", "rs", rs_name, "--cascade=foreground", "--wait=true", "--timeout=30s", timeout=40)
    assert pods(server) == [] or all(p["metadata"].get("deletionTimestamp") for p in pods(server))
    assert server.kubectl("get", "rs", rs_name, check=False).returncode != 0


def test_a_stuck_rollout_exceeds_its_progress_deadline(server):
    # No nodes: the pod never runs, so the rollout cannot progress.
    server.kubectl("apply", "-f", "-", input=DEPLOYMENT.replace("spec:\n  replicas:", "spec:\n  progressDeadlineSeconds: 3\n  replicas:", 1))
    r = server.kubectl("rollout", "status", "deployment/kiada", "--timeout=60s", check=False, timeout=70)
    assert r.returncode != 0 and 'deployment "kiada" exceeded its progress deadline' in r.stderr, (r.stdout, r.stderr)
    cond = {c["type"]: c for c in json.loads(server.kubectl("get", "deploy", "kiada", "-o", "json").stdout)["status"]["conditions"]}
    assert cond["Progressing"]["status"] == "False" and cond["Progressing"]["reason"] == "ProgressDeadlineExceeded"
