"""The workload kinds beyond Deployments, and a scheduler that honours placement: a
StatefulSet whose pods have stable names, DNS names through their headless Service and
claims that keep their data; pods that stay Pending with kube-scheduler's words when no
node fits them (selector, requests, taints) and go where they are allowed when one does."""
import json

import pytest

from cluster import AGNHOST, import_busybox, ready_pods, running_cluster, wait_for
from images import available

pytestmark = pytest.mark.skipif(not available(), reason="needs containerd and busybox-static (scripts/install-deps.sh)")


@pytest.fixture(scope="module")
def cluster():
    yield from running_cluster(2)


@pytest.fixture(scope="module")
def busybox(cluster):
    return import_busybox(cluster)


def pending_message(cluster, name):
    conditions = cluster.get("pod", name)["status"].get("conditions", [])
    return next((c.get("message", "") for c in conditions if c["type"] == "PodScheduled" and c["status"] == "False"), "")


def run_pod(cluster, name, spec):
    spec.setdefault("containers", [{"name": "app", "image": AGNHOST, "args": ["pause"]}])
    cluster.apply(json.dumps({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": spec}))


def test_an_unsatisfiable_node_selector_stays_pending_until_a_node_matches(cluster):
    run_pod(cluster, "picky", {"nodeSelector": {"disk": "ssd"}})
    expected = ("0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector. "
                "preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.")
    assert wait_for("the FailedScheduling message", lambda: pending_message(cluster, "picky") == expected)
    events = cluster.kubectl("get", "events", "--field-selector", "involvedObject.name=picky,reason=FailedScheduling",
                             "-o", "json").stdout
    assert expected in events
    assert not cluster.get("pod", "picky")["spec"].get("nodeName")
    cluster.kubectl("label", "node", "node-2", "disk=ssd")
    assert wait_for("picky on node-2", lambda: cluster.get("pod", "picky")["spec"].get("nodeName") == "node-2")


def test_requests_beyond_the_machine_and_taints_are_refused_with_reasons(cluster):
    run_pod(cluster, "greedy", {"containers": [{"name": "app", "image": AGNHOST, "args": ["pause"],
                                                "resources": {"requests": {"cpu": "64"}}}]})
    assert wait_for("Insufficient cpu", lambda: "2 Insufficient cpu" in pending_message(cluster, "greedy"))
    cluster.kubectl("taint", "node", "node-1", "dedicated=gpu:NoSchedule")
    try:
        run_pod(cluster, "plain", {})
        assert wait_for("plain scheduled", lambda: cluster.get("pod", "plain")["spec"].get("nodeName")) == "node-2"
        run_pod(cluster, "tolerant", {"nodeSelector": {"kubernetes.io/hostname": "node-1"},
                                      "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "gpu",
                                                       "effect": "NoSchedule"}]})
        assert wait_for("tolerant scheduled", lambda: cluster.get("pod", "tolerant")["spec"].get("nodeName")) == "node-1"
        run_pod(cluster, "intolerant", {"nodeSelector": {"kubernetes.io/hostname": "node-1"}})
        assert wait_for("the taint named", lambda: "1 node(s) had untolerated taint {dedicated: gpu}" in
                        pending_message(cluster, "intolerant"))
    finally:
        cluster.kubectl("taint", "node", "node-1", "dedicated-")


STATEFULSET = """
apiVersion: v1
kind: Service
metadata: {{name: web}}
spec:
  clusterIP: None
  selector: {{app: web}}
  ports: [{{port: 8080, name: http}}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {{name: web}}
spec:
  serviceName: web
  replicas: 3
  selector: {{matchLabels: {{app: web}}}}
  template:
    metadata: {{labels: {{app: web}}}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: web
        image: {image}
        command: ["sh", "-c", "echo boot >> /data/boots; hostname > /data/index.html; exec httpd -f -p 8080 -h /data"]
        ports: [{{containerPort: 8080, name: http}}]
        readinessProbe: {{tcpSocket: {{port: 8080}}, periodSeconds: 1}}
        volumeMounts: [{{name: data, mountPath: /data}}]
  volumeClaimTemplates:
  - metadata: {{name: data}}
    spec:
      accessModes: [ReadWriteOnce]
      resources: {{requests: {{storage: 64Mi}}}}
"""


def test_a_statefulset_has_stable_names_dns_and_claims_that_keep_their_data(cluster, busybox):
    cluster.apply(STATEFULSET.format(image=busybox))
    pods = ready_pods(cluster, "app=web", 3, timeout=120)
    assert sorted(p["metadata"]["name"] for p in pods) == ["web-0", "web-1", "web-2"]
    # Started in order: each pod was created after the one before it was Ready.
    by_name = {p["metadata"]["name"]: p for p in pods}
    created = [by_name[f"web-{i}"]["metadata"]["creationTimestamp"] for i in range(3)]
    assert created == sorted(created)
    table = cluster.kubectl("get", "sts", "web").stdout.splitlines()
    assert table[0].split() == ["NAME", "READY", "AGE"] and table[1].split()[1] == "3/3"
    claims = sorted(c["metadata"]["name"] for c in cluster.get("pvc")["items"])
    assert claims == ["data-web-0", "data-web-1", "data-web-2"]

    run_pod(cluster, "dns-client", {})
    wait_for("client running", lambda: cluster.get("pod", "dns-client")["status"].get("phase") == "Running")
    ip0 = by_name["web-0"]["status"]["podIP"]
    def resolves():
        out = cluster.kubectl("exec", "dns-client", "--", "getent", "hosts", "web-0.web.default.svc.cluster.local",
                              check=False).stdout.split()
        return out[:1] == [ip0]
    assert wait_for("web-0.web resolves to pod 0", resolves, timeout=30)
    everyone = cluster.kubectl("exec", "dns-client", "--", "getent", "ahosts", "web.default.svc.cluster.local").stdout
    assert {p["status"]["podIP"] for p in pods} <= set(everyone.split())
    page = cluster.kubectl("exec", "dns-client", "--", "curl", "-s", "-m", "3", "http://web-1.web:8080/").stdout
    assert page.strip() == "web-1"

    # Deleted, web-0 comes back with its name and its claim's data.
    uid = by_name["web-0"]["metadata"]["uid"]
    cluster.kubectl("delete", "pod", "web-0")
    def back():
        p = cluster.get("pod", "web-0")
        ready = any(c["type"] == "Ready" and c["status"] == "True" for c in p["status"].get("conditions", []))
        return p["metadata"]["uid"] != uid and ready
    assert wait_for("web-0 back", back, timeout=90)
    boots = cluster.kubectl("exec", "web-0", "--", "cat", "/data/boots").stdout.split()
    assert boots == ["boot", "boot"]

    # Scaled down, the highest ordinal goes and its claim stays (Retain).
    cluster.kubectl("scale", "sts", "web", "--replicas=2")
    assert wait_for("web-2 gone", lambda: "web-2" not in cluster.kubectl("get", "pods", "-o", "name").stdout, timeout=60)
    assert "data-web-2" in cluster.kubectl("get", "pvc", "-o", "name").stdout
    status = cluster.kubectl("rollout", "status", "sts", "web", "--timeout=60s")
    assert status.returncode == 0 and "complete" in status.stdout, status.stdout + status.stderr


def test_a_statefulset_rolls_out_a_new_template_from_the_highest_ordinal(cluster, busybox):
    cluster.kubectl("patch", "sts", "web", "--type=merge", "-p",
                    json.dumps({"spec": {"template": {"metadata": {"annotations": {"rev": "2"}}}}}))
    status = cluster.kubectl("rollout", "status", "sts", "web", "--timeout=120s", timeout=130)
    assert status.returncode == 0, status.stdout + status.stderr
    sts = cluster.get("sts", "web")
    assert sts["status"]["currentRevision"] == sts["status"]["updateRevision"]
    pods = ready_pods(cluster, "app=web", 2)
    assert {p["metadata"]["labels"]["controller-revision-hash"] for p in pods} == {sts["status"]["updateRevision"]}
    assert all(p["metadata"]["annotations"].get("rev") == "2" for p in pods)
    # Its data survived the replacement.
    assert cluster.kubectl("exec", "web-0", "--", "cat", "/data/boots").stdout.split() == ["boot"] * 3


DAEMONSET = """
apiVersion: apps/v1
kind: DaemonSet
metadata: {{name: agent}}
spec:
  selector: {{matchLabels: {{app: agent}}}}
  template:
    metadata: {{labels: {{app: agent}}}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: agent
        image: {image}
        args: ["pause"]
"""


def test_a_daemonset_runs_one_pod_per_node_and_rolls_node_by_node(cluster):
    cluster.apply(DAEMONSET.format(image=AGNHOST))
    pods = ready_pods(cluster, "app=agent", 2, timeout=90)
    assert sorted(p["spec"]["nodeName"] for p in pods) == ["node-1", "node-2"]
    row = cluster.kubectl("get", "ds", "agent").stdout.splitlines()
    assert row[0].split() == ["NAME", "DESIRED", "CURRENT", "READY", "UP-TO-DATE", "AVAILABLE", "NODE", "SELECTOR", "AGE"]
    assert wait_for("status counted", lambda: cluster.kubectl("get", "ds", "agent").stdout.splitlines()[1].split()[1:7]
                    == ["2", "2", "2", "2", "2", "<none>"])
    # A node it may not run on loses its pod.
    cluster.kubectl("taint", "node", "node-2", "only=db:NoExecute")
    try:
        assert wait_for("only node-1", lambda: sorted(p["spec"]["nodeName"] for p in cluster.get(
            "pods", "-l", "app=agent")["items"] if not p["metadata"].get("deletionTimestamp")) == ["node-1"], timeout=60)
    finally:
        cluster.kubectl("taint", "node", "node-2", "only-")
    ready_pods(cluster, "app=agent", 2, timeout=60)
    cluster.kubectl("set", "env", "ds/agent", "WAVE=2")
    done = cluster.kubectl("rollout", "status", "ds", "agent", "--timeout=120s", timeout=130)
    assert done.returncode == 0 and "successfully rolled out" in done.stdout, done.stdout + done.stderr
    pods = ready_pods(cluster, "app=agent", 2)
    assert all(any(e.get("name") == "WAVE" for e in p["spec"]["containers"][0].get("env", [])) for p in pods)


def test_an_indexed_job_completes_every_index(cluster, busybox):
    cluster.apply(json.dumps({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "indexed"},
                              "spec": {"completions": 5, "parallelism": 2, "completionMode": "Indexed",
                                       "template": {"spec": {"restartPolicy": "Never", "containers": [
                                           {"name": "work", "image": busybox,
                                            "command": ["sh", "-c", "echo index=$JOB_COMPLETION_INDEX"]}]}}}}))
    done = cluster.kubectl("wait", "--for=condition=complete", "job/indexed", "--timeout=120s", timeout=130)
    assert done.returncode == 0, done.stdout + done.stderr
    row = cluster.kubectl("get", "job", "indexed").stdout.splitlines()
    assert row[0].split() == ["NAME", "STATUS", "COMPLETIONS", "DURATION", "AGE"]
    assert row[1].split()[1:3] == ["Complete", "5/5"]
    job = cluster.get("job", "indexed")
    assert job["status"]["completedIndexes"] == "0-4" and job["status"]["succeeded"] == 5
    pods = cluster.get("pods", "-l", "batch.kubernetes.io/job-name=indexed")["items"]
    outputs = sorted(cluster.kubectl("logs", p["metadata"]["name"]).stdout.strip() for p in pods)
    assert outputs == [f"index={i}" for i in range(5)]


def test_a_failing_job_backs_off_and_fails_at_its_limit(cluster, busybox):
    cluster.apply(json.dumps({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "doomed"},
                              "spec": {"backoffLimit": 1, "template": {"spec": {"restartPolicy": "Never", "containers": [
                                  {"name": "work", "image": busybox, "command": ["sh", "-c", "exit 3"]}]}}}}))
    failed = cluster.kubectl("wait", "--for=condition=failed", "job/doomed", "--timeout=90s", timeout=100)
    assert failed.returncode == 0, failed.stdout + failed.stderr
    job = cluster.get("job", "doomed")
    condition = next(c for c in job["status"]["conditions"] if c["type"] == "Failed")
    assert condition["reason"] == "BackoffLimitExceeded"
    assert condition["message"] == "Job has reached the specified backoff limit"
    assert job["status"]["failed"] == 2
    pods = sorted(cluster.get("pods", "-l", "job-name=doomed")["items"], key=lambda p: p["metadata"]["creationTimestamp"])
    assert len(pods) == 2


def test_a_cronjob_runs_every_minute_and_on_demand(cluster, busybox):
    cluster.apply(json.dumps({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "tick"},
                              "spec": {"schedule": "* * * * *", "successfulJobsHistoryLimit": 2,
                                       "jobTemplate": {"spec": {"template": {"spec": {
                                           "restartPolicy": "OnFailure",
                                           "containers": [{"name": "tick", "image": busybox,
                                                           "command": ["sh", "-c", "echo tick"]}]}}}}}}))
    row = cluster.kubectl("get", "cronjob", "tick").stdout.splitlines()
    assert row[0].split() == ["NAME", "SCHEDULE", "TIMEZONE", "SUSPEND", "ACTIVE", "LAST", "SCHEDULE", "AGE"]
    manual = cluster.kubectl("create", "job", "--from=cronjob/tick", "tick-now")
    assert "job.batch/tick-now created" in manual.stdout
    assert cluster.kubectl("wait", "--for=condition=complete", "job/tick-now", "--timeout=60s",
                           timeout=70).returncode == 0

    def scheduled():
        jobs = [j for j in cluster.get("jobs")["items"] if j["metadata"]["name"].startswith("tick-")
                and j["metadata"]["name"] != "tick-now"]
        return jobs[0]["metadata"]["name"] if jobs else None
    name = wait_for("a scheduled job", scheduled, timeout=75)
    assert cluster.kubectl("wait", "--for=condition=complete", f"job/{name}", "--timeout=60s", timeout=70).returncode == 0
    cj = cluster.get("cronjob", "tick")
    assert cj["status"].get("lastScheduleTime")
    assert wait_for("lastSuccessfulTime", lambda: cluster.get("cronjob", "tick")["status"].get("lastSuccessfulTime"))
    job = cluster.get("job", name)
    assert job["metadata"]["ownerReferences"][0]["kind"] == "CronJob"
    assert "batch.kubernetes.io/cronjob-scheduled-timestamp" in job["metadata"]["annotations"]


def test_a_repeated_event_counts_up_instead_of_piling_up(cluster, busybox):
    run_pod(cluster, "flappy", {"containers": [{"name": "app", "image": busybox, "command": ["sh", "-c", "exit 1"]}]})

    def backoffs():
        items = json.loads(cluster.kubectl("get", "events", "--field-selector",
                                           "involvedObject.name=flappy,reason=BackOff", "-o", "json").stdout)["items"]
        return items
    assert wait_for("BackOff counted twice", lambda: any(e.get("count", 1) >= 2 for e in backoffs()), timeout=90)
    assert len(backoffs()) == 1, backoffs()
    row = [l for l in cluster.kubectl("get", "events", "--field-selector", "involvedObject.name=flappy").stdout.splitlines()
           if "BackOff" in l]
    assert row and "(x" in row[0], row


GUARDED = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: guarded}
spec:
  replicas: 2
  selector: {matchLabels: {app: guarded}}
  template:
    metadata: {labels: {app: guarded}}
    spec:
      terminationGracePeriodSeconds: 1
      affinity:
        podAntiAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
          - labelSelector: {matchLabels: {app: guarded}}
            topologyKey: kubernetes.io/hostname
      containers: [{name: app, image: %s, args: [pause]}]
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: guarded}
spec:
  minAvailable: 2
  selector: {matchLabels: {app: guarded}}
""" % AGNHOST


def test_drain_respects_a_disruption_budget(cluster):
    cluster.apply(GUARDED)
    pods = ready_pods(cluster, "app=guarded", 2)
    assert sorted(p["spec"]["nodeName"] for p in pods) == ["node-1", "node-2"]
    assert wait_for("the budget counted", lambda: cluster.get("pdb", "guarded")["status"].get("currentHealthy") == 2)
    row = cluster.kubectl("get", "pdb", "guarded").stdout.splitlines()
    assert row[0].split() == ["NAME", "MIN", "AVAILABLE", "MAX", "UNAVAILABLE", "ALLOWED", "DISRUPTIONS", "AGE"]
    assert row[1].split()[1:4] == ["2", "N/A", "0"]
    victim = next(p["metadata"]["name"] for p in pods if p["spec"]["nodeName"] == "node-1")
    try:
        blocked = cluster.kubectl("drain", "node-1", "--ignore-daemonsets", "--delete-emptydir-data", "--force",
                                  "--pod-selector=app=guarded", "--timeout=8s", check=False, timeout=30)
        assert blocked.returncode != 0
        assert "Cannot evict pod as it would violate the pod's disruption budget." in blocked.stderr, blocked.stderr
        assert cluster.get("pod", victim)["metadata"].get("deletionTimestamp") is None
        assert cluster.get("node", "node-1")["spec"].get("unschedulable") is True
        cluster.kubectl("patch", "pdb", "guarded", "--type=json", "-p",
                        '[{"op":"remove","path":"/spec/minAvailable"},{"op":"add","path":"/spec/maxUnavailable","value":1}]')
        assert wait_for("one disruption allowed", lambda: cluster.get("pdb", "guarded")["status"].get(
            "disruptionsAllowed") == 1)
        drained = cluster.kubectl("drain", "node-1", "--ignore-daemonsets", "--delete-emptydir-data", "--force",
                                  "--pod-selector=app=guarded", "--timeout=60s", check=False, timeout=90)
        assert drained.returncode == 0, drained.stdout + drained.stderr
        assert f"pod/{victim} evicted" in drained.stdout
        assert "node/node-1 drained" in drained.stdout
        # Its replacement may go nowhere else (anti-affinity) and waits for the node.
        assert wait_for("a replacement pending", lambda: any(
            not p["spec"].get("nodeName") for p in cluster.get("pods", "-l", "app=guarded")["items"]))
    finally:
        cluster.kubectl("uncordon", "node-1")
    ready_pods(cluster, "app=guarded", 2)


def test_a_noexecute_taint_evicts_pods_that_do_not_tolerate_it(cluster):
    run_pod(cluster, "evictee", {"nodeSelector": {"kubernetes.io/hostname": "node-2"}})
    run_pod(cluster, "stayer", {"nodeSelector": {"kubernetes.io/hostname": "node-2"},
                                "tolerations": [{"key": "maintenance", "operator": "Exists", "effect": "NoExecute"}]})
    for name in ["evictee", "stayer"]:
        wait_for(f"{name} running", lambda: cluster.get("pod", name)["status"].get("phase") == "Running", timeout=60)
    defaults = cluster.get("pod", "evictee")["spec"]["tolerations"]
    assert {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute",
            "tolerationSeconds": 300} in defaults
    cluster.kubectl("taint", "node", "node-2", "maintenance=now:NoExecute")
    try:
        assert wait_for("evictee gone", lambda: "evictee" not in cluster.kubectl("get", "pods", "-o", "name").stdout,
                        timeout=60)
        events = cluster.kubectl("get", "events", "--field-selector", "reason=TaintManagerEviction").stdout
        assert "Marking for deletion Pod default/evictee" in events
        assert cluster.get("pod", "stayer")["metadata"].get("deletionTimestamp") is None
    finally:
        cluster.kubectl("taint", "node", "node-2", "maintenance-")


def test_a_replication_controller_keeps_its_replicas(cluster):
    cluster.apply(json.dumps({"apiVersion": "v1", "kind": "ReplicationController", "metadata": {"name": "legacy"},
                              "spec": {"replicas": 2, "template": {"metadata": {"labels": {"app": "legacy"}},
                                                                   "spec": {"containers": [
                                                                       {"name": "app", "image": AGNHOST,
                                                                        "args": ["pause"]}]}}}}))
    rc = cluster.get("rc", "legacy")
    assert rc["spec"]["selector"] == {"app": "legacy"}
    pods = ready_pods(cluster, "app=legacy", 2)
    assert all(p["metadata"]["ownerReferences"][0]["kind"] == "ReplicationController" for p in pods)
    cluster.kubectl("scale", "rc", "legacy", "--replicas=3")
    ready_pods(cluster, "app=legacy", 3)
    row = cluster.kubectl("get", "rc", "legacy").stdout.splitlines()
    assert row[0].split() == ["NAME", "DESIRED", "CURRENT", "READY", "AGE"]
    assert wait_for("counted", lambda: cluster.kubectl("get", "rc", "legacy").stdout.splitlines()[1].split()[1:4]
                    == ["3", "3", "3"])
    cluster.kubectl("delete", "rc", "legacy")
    assert wait_for("its pods gone", lambda: not [p for p in cluster.get("pods", "-l", "app=legacy")["items"]
                                                 if not p["metadata"].get("deletionTimestamp")], timeout=60)
