"""Storage: claims bound to volumes the built-in local-path class makes on the node of the
first pod, data that outlives its pod, Delete reclaim; and the application of issue 22's
"done when": a Deployment that reads a ConfigMap (env and file), a Secret (file), an
emptyDir shared by two containers and a claim, served over HTTP through a Service."""
import json
import os
import subprocess

import pytest

from cluster import import_busybox, ready_pods, running_cluster, wait_for
from images import available

pytestmark = pytest.mark.skipif(not available(), reason="needs containerd and busybox-static (scripts/install-deps.sh)")


@pytest.fixture(scope="module")
def cluster():
    yield from running_cluster(2)


@pytest.fixture(scope="module")
def busybox(cluster):
    return import_busybox(cluster)


def claim(name, size="1Gi", class_name=None):
    spec = {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": size}}}
    if class_name is not None:
        spec["storageClassName"] = class_name
    return json.dumps({"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": name}, "spec": spec})


def pod(name, image, claim_name, command):
    return json.dumps({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
                       "spec": {"containers": [{"name": "c", "image": image, "command": ["sh", "-c", command],
                                                "volumeMounts": [{"name": "d", "mountPath": "/data"}]}],
                                "volumes": [{"name": "d", "persistentVolumeClaim": {"claimName": claim_name}}]}})


def phase(cluster, kind, name):
    return cluster.get(kind, name).get("status", {}).get("phase")


def test_the_default_class_is_local_path(cluster):
    out = cluster.kubectl("get", "storageclass").stdout.splitlines()
    assert out[0].split() == ["NAME", "PROVISIONER", "RECLAIMPOLICY", "VOLUMEBINDINGMODE", "ALLOWVOLUMEEXPANSION", "AGE"]
    assert out[1].split()[:5] == ["local-path", "(default)", "swiftlet.dev/local-path", "Delete", "WaitForFirstConsumer"]


def test_a_claim_waits_for_its_first_pod_and_its_data_outlives_the_pod(cluster, busybox):
    cluster.apply(claim("data"))
    made = cluster.get("pvc", "data")
    assert made["spec"]["storageClassName"] == "local-path"
    assert "kubernetes.io/pvc-protection" in made["metadata"]["finalizers"]
    wait_for("WaitForFirstConsumer event", lambda: "waiting for first consumer" in cluster.kubectl(
        "describe", "pvc", "data").stdout)
    assert phase(cluster, "pvc", "data") == "Pending"

    cluster.apply(pod("writer", busybox, "data", "echo kept > /data/file && sleep 3600"))
    wait_for("writer running", lambda: phase(cluster, "pod", "writer") == "Running", timeout=60)
    claim_obj = cluster.get("pvc", "data")
    assert claim_obj["status"]["phase"] == "Bound"
    node = cluster.get("pod", "writer")["spec"]["nodeName"]
    assert claim_obj["metadata"]["annotations"]["volume.kubernetes.io/selected-node"] == node
    volume = cluster.get("pv", claim_obj["spec"]["volumeName"])
    assert volume["status"]["phase"] == "Bound"
    assert volume["spec"]["claimRef"]["name"] == "data"
    directory = volume["spec"]["hostPath"]["path"]
    assert wait_for("the file on the node", lambda: os.path.exists(os.path.join(directory, "file")))
    rows = cluster.kubectl("get", "pv").stdout.splitlines()
    assert rows[0].split()[:7] == ["NAME", "CAPACITY", "ACCESS", "MODES", "RECLAIM", "POLICY", "STATUS"]
    assert "default/data" in rows[1] and "RWO" in rows[1] and "Bound" in rows[1]

    # The claim is protected while the pod uses it.
    cluster.kubectl("delete", "pvc", "data", "--wait=false")
    assert cluster.get("pvc", "data")["metadata"].get("deletionTimestamp")
    cluster.kubectl("delete", "pod", "writer", "--grace-period=1")

    def gone():
        r = cluster.kubectl("get", "pv", volume["metadata"]["name"], check=False)
        return r.returncode != 0 and not os.path.exists(directory)
    assert wait_for("the volume and its directory deleted", gone, timeout=60)


def test_a_second_pod_on_the_claim_sees_the_first_ones_data_on_the_same_node(cluster, busybox):
    cluster.apply(claim("shared"))
    cluster.apply(pod("first", busybox, "shared", "echo from-first > /data/f && sleep 3600"))
    wait_for("first running", lambda: phase(cluster, "pod", "first") == "Running", timeout=60)
    node = cluster.get("pod", "first")["spec"]["nodeName"]
    cluster.kubectl("delete", "pod", "first", "--grace-period=1")
    cluster.apply(pod("second", busybox, "shared", "cat /data/f; sleep 3600"))
    wait_for("second running", lambda: phase(cluster, "pod", "second") == "Running", timeout=60)
    assert cluster.get("pod", "second")["spec"]["nodeName"] == node
    assert wait_for("the data", lambda: "from-first" in cluster.kubectl("logs", "second").stdout)


def test_a_pod_with_a_missing_claim_stays_pending_and_retain_keeps_the_volume(cluster, busybox):
    cluster.apply(pod("orphan", busybox, "nowhere", "sleep 3600"))
    wait_for("FailedScheduling", lambda: 'persistentvolumeclaim "nowhere" not found' in cluster.kubectl(
        "describe", "pod", "orphan").stdout)
    cluster.kubectl("delete", "pod", "orphan", "--grace-period=0", "--force")

    cluster.apply(json.dumps({"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
                              "metadata": {"name": "keep"}, "provisioner": "swiftlet.dev/local-path",
                              "reclaimPolicy": "Retain", "volumeBindingMode": "Immediate"}))
    cluster.apply(claim("kept", class_name="keep"))
    wait_for("kept bound", lambda: phase(cluster, "pvc", "kept") == "Bound", timeout=30)
    name = cluster.get("pvc", "kept")["spec"]["volumeName"]
    cluster.kubectl("delete", "pvc", "kept")
    wait_for("Released", lambda: phase(cluster, "pv", name) == "Released", timeout=30)

    bad = cluster.kubectl("apply", "-f", "-", input=json.dumps(
        {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "bad"},
         "spec": {"resources": {"requests": {"storage": "1Gi"}}}}), check=False)
    assert bad.returncode != 0 and "spec.accessModes: Required value: at least 1 access mode is required" in bad.stderr
    assert cluster.kubectl("get", "pvc", "bad", check=False).returncode != 0


APP = """
apiVersion: v1
kind: ConfigMap
metadata: {name: app-config}
data: {greeting: hello, message: first-message}
---
apiVersion: v1
kind: Secret
metadata: {name: app-secret}
stringData: {password: s3cret}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: app-data}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 100Mi}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: app}
spec:
  replicas: 1
  selector: {matchLabels: {app: app}}
  template:
    metadata: {labels: {app: app}}
    spec:
      containers:
      - name: writer
        image: IMAGE
        env:
        - name: GREETING
          valueFrom: {configMapKeyRef: {name: app-config, key: greeting}}
        command: ["sh", "-c", "echo persisted > /data/p; while true; do echo \\"$GREETING $(cat /config/message) $(cat /secret/password) $(cat /data/p)\\" > /www/index.html.tmp; mv /www/index.html.tmp /www/index.html; sleep 0.5; done"]
        volumeMounts:
        - {name: www, mountPath: /www}
        - {name: config, mountPath: /config}
        - {name: secret, mountPath: /secret, readOnly: true}
        - {name: data, mountPath: /data}
      - name: web
        image: IMAGE
        command: ["httpd", "-f", "-p", "8080", "-h", "/www"]
        volumeMounts: [{name: www, mountPath: /www}]
        readinessProbe:
          httpGet: {path: /index.html, port: 8080}
          periodSeconds: 1
      volumes:
      - {name: www, emptyDir: {}}
      - {name: config, configMap: {name: app-config}}
      - {name: secret, secret: {secretName: app-secret}}
      - {name: data, persistentVolumeClaim: {claimName: app-data}}
"""


def test_an_application_with_config_secret_scratch_and_storage_serves_them(cluster, busybox):
    cluster.apply(APP.replace("IMAGE", busybox))
    ready_pods(cluster, "app=app", 1, timeout=90)
    cluster.kubectl("expose", "deployment", "app", "--port", "80", "--target-port", "8080", "--type", "LoadBalancer")
    ip = wait_for("an external IP", lambda: (cluster.get("service", "app")["status"].get("loadBalancer", {})
                                             .get("ingress") or [{}])[0].get("ip"))

    def page():
        return subprocess.run(["curl", "-s", "-m", "2", f"http://{ip}/"], capture_output=True, text=True).stdout.strip()
    assert wait_for("the page", lambda: page() == "hello first-message s3cret persisted", timeout=30)
    cluster.kubectl("patch", "configmap", "app-config", "-p", json.dumps({"data": {"message": "second-message"}}))
    assert wait_for("the edited message", lambda: page() == "hello second-message s3cret persisted", timeout=30)
