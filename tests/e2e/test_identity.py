"""Identity: every namespace's default ServiceAccount, bound tokens projected into pods and
accepted by the API, RBAC deciding what each caller may do, and kubectl's `auth` and
`create token` commands."""
import json
import os
import sys
import time

import kubernetes
import pytest

from cluster import AGNHOST, running_cluster, wait_for
from images import available

pytestmark = pytest.mark.skipif(not available(), reason="needs containerd (scripts/install-deps.sh)")

MOUNT = "/var/run/secrets/kubernetes.io/serviceaccount"


@pytest.fixture(scope="module")
def cluster():
    yield from running_cluster(1)


def with_token(cluster, token, *args, check=False):
    """kubectl with only this bearer token (no client certificate from the kubeconfig)."""
    server = cluster.kubectl("config", "view", "-o", "jsonpath={.clusters[0].cluster.server}").stdout
    ca = os.path.join(cluster.data, "pki", "ca.crt")
    return cluster.kubectl("--kubeconfig", "/dev/null", "--server", server, "--certificate-authority", ca,
                           "--token", token, *args, check=check)


def python_pod(name, namespace, script, account=None):
    """A pod that runs the host's Python, with the kubernetes client, from hostPath mounts:
    no image with Python has to be built."""
    site = os.path.dirname(os.path.dirname(kubernetes.__file__))
    paths = sorted({"/usr", "/lib", "/lib64", sys.prefix, site} - {""})
    paths = [p for p in paths if os.path.exists(p)]
    spec = {"restartPolicy": "Never",
            "containers": [{"name": "py", "image": AGNHOST,
                            "command": [os.path.realpath(sys.executable), "-u", "-c", script],
                            "volumeMounts": [{"name": f"host{i}", "mountPath": p, "readOnly": True}
                                             for i, p in enumerate(paths)]}],
            "volumes": [{"name": f"host{i}", "hostPath": {"path": p}} for i, p in enumerate(paths)]}
    if account:
        spec["serviceAccountName"] = account
    return json.dumps({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": namespace},
                       "spec": spec})


LISTER = """
import time
from kubernetes import client, config
config.load_incluster_config()
v1 = client.CoreV1Api()
ns = open('/var/run/secrets/kubernetes.io/serviceaccount/namespace').read()
while True:
    try:
        print('LISTED', len(v1.list_namespaced_pod(ns).items))
    except client.ApiException as e:
        print('STATUS', e.status)
    time.sleep(0.5)
"""


def test_every_namespace_gets_a_default_account_and_the_ca(cluster):
    cluster.kubectl("create", "namespace", "fresh")
    sa = wait_for("default ServiceAccount", lambda: cluster.kubectl(
        "get", "serviceaccount", "default", "-n", "fresh", check=False).returncode == 0)
    assert sa
    cm = wait_for("kube-root-ca.crt", lambda: cluster.kubectl(
        "get", "configmap", "kube-root-ca.crt", "-n", "fresh", "-o", "json", check=False).stdout or None)
    ca = json.loads(cm)["data"]["ca.crt"]
    assert ca == open(os.path.join(cluster.data, "pki", "ca.crt")).read()
    table = cluster.kubectl("get", "sa", "-n", "fresh").stdout.split("\n")[0].split()
    assert table == ["NAME", "SECRETS", "AGE"]
    # Deleted, it comes back.
    cluster.kubectl("delete", "serviceaccount", "default", "-n", "fresh")
    wait_for("default ServiceAccount again", lambda: cluster.kubectl(
        "get", "serviceaccount", "default", "-n", "fresh", check=False).returncode == 0)


def test_a_pod_naming_a_missing_account_is_refused(cluster):
    r = cluster.kubectl("run", "lost", f"--image={AGNHOST}", "--overrides",
                        json.dumps({"spec": {"serviceAccountName": "ghost"}}), check=False)
    assert r.returncode != 0
    assert ('pods "lost" is forbidden: error looking up service account default/ghost: '
            'serviceaccount "ghost" not found') in r.stderr


def test_kubectl_create_token_and_its_limits(cluster):
    cluster.kubectl("create", "serviceaccount", "robot")
    short = cluster.kubectl("create", "token", "robot", "--duration", "5m", check=False)
    assert short.returncode != 0 and "may not specify a duration less than 10 minutes" in short.stderr
    token = cluster.kubectl("create", "token", "robot", "--duration", "20m").stdout.strip()
    assert token.count(".") == 2
    denied = with_token(cluster, token, "get", "pods")
    assert ('pods is forbidden: User "system:serviceaccount:default:robot" cannot list resource "pods" '
            'in API group "" in the namespace "default"') in denied.stderr
    whoami = with_token(cluster, token, "auth", "whoami", "-o", "json", check=True)
    info = json.loads(whoami.stdout)["status"]["userInfo"]
    assert info["username"] == "system:serviceaccount:default:robot"
    assert info["groups"] == ["system:serviceaccounts", "system:serviceaccounts:default", "system:authenticated"]
    cluster.kubectl("delete", "serviceaccount", "robot")
    gone = with_token(cluster, token, "get", "pods")
    assert gone.returncode != 0 and "Unauthorized" in gone.stderr


def test_the_pods_token_lets_the_python_client_list_pods_once_view_is_bound(cluster):
    cluster.kubectl("create", "namespace", "kiada")
    wait_for("default ServiceAccount", lambda: cluster.kubectl(
        "get", "serviceaccount", "default", "-n", "kiada", check=False).returncode == 0)
    cluster.kubectl("create", "serviceaccount", "quiz", "-n", "kiada")
    cluster.apply(python_pod("lister", "kiada", LISTER, account="quiz"))

    def logs():
        return cluster.kubectl("logs", "lister", "-n", "kiada", check=False).stdout.splitlines()

    assert wait_for("403 before the binding", lambda: "STATUS 403" in logs(), timeout=90)
    pod = cluster.get("pod", "lister", "-n", "kiada")
    volumes = [v["name"] for v in pod["spec"]["volumes"]]
    assert any(v.startswith("kube-api-access-") for v in volumes)
    files = cluster.kubectl("exec", "-n", "kiada", "lister", "--", "ls", MOUNT).stdout.split()
    assert files == ["ca.crt", "namespace", "token"]

    cluster.kubectl("create", "rolebinding", "quiz-view", "--clusterrole=view", "--serviceaccount=kiada:quiz",
                    "-n", "kiada")
    assert wait_for("pods listed after the binding", lambda: any(l.startswith("LISTED") for l in logs()), timeout=30)
    wide = cluster.kubectl("get", "rolebinding", "quiz-view", "-n", "kiada", "-o", "wide").stdout.split("\n")
    assert wide[0].split() == ["NAME", "ROLE", "AGE", "USERS", "GROUPS", "SERVICEACCOUNTS"]
    assert "ClusterRole/view" in wide[1] and "kiada/quiz" in wide[1]

    # The token the pod holds is bound to it: deleted, the pod's token is refused.
    token = cluster.kubectl("exec", "-n", "kiada", "lister", "--", "cat", f"{MOUNT}/token").stdout
    assert with_token(cluster, token, "get", "pods", "-n", "kiada").returncode == 0
    cluster.kubectl("delete", "pod", "lister", "-n", "kiada", "--grace-period=0", "--force")

    def refused():
        r = with_token(cluster, token, "get", "pods", "-n", "kiada")
        return r.returncode != 0 and "Unauthorized" in r.stderr
    assert wait_for("the deleted pod's token refused", refused, timeout=90)


def test_can_i_for_the_admin_and_for_an_account(cluster):
    assert cluster.kubectl("auth", "can-i", "delete", "nodes").stdout.strip() == "yes"
    admin = cluster.kubectl("auth", "can-i", "--list").stdout
    assert "*.*" in admin.split("\n")[1] and "[*]" in admin
    cluster.kubectl("create", "serviceaccount", "bot")
    as_bot = ["--as=system:serviceaccount:default:bot"]
    assert cluster.kubectl("auth", "can-i", "list", "pods", *as_bot, check=False).stdout.strip() == "no"
    cluster.kubectl("create", "rolebinding", "bot-edit", "--clusterrole=edit", "--serviceaccount=default:bot")
    assert cluster.kubectl("auth", "can-i", "create", "deployments", *as_bot).stdout.strip() == "yes"
    assert cluster.kubectl("auth", "can-i", "create", "pods", "-n", "kube-system", *as_bot,
                           check=False).stdout.strip() == "no"
    assert cluster.kubectl("auth", "can-i", "create", "rolebindings", *as_bot, check=False).stdout.strip() == "no"
    listed = cluster.kubectl("auth", "can-i", "--list", *as_bot).stdout
    rows = {l.split()[0]: l for l in listed.splitlines()[1:] if l.strip() and not l.startswith(" ")}
    assert "secrets" in rows and "create" in rows["secrets"]
    assert "deployments.apps" in rows
    assert "rolebindings.rbac.authorization.k8s.io" not in rows


def test_automount_off_leaves_the_token_out(cluster):
    cluster.kubectl("run", "quiet", f"--image={AGNHOST}", "--overrides",
                    json.dumps({"spec": {"automountServiceAccountToken": False}}), "--", "pause")
    wait_for("quiet running", lambda: cluster.get("pod", "quiet")["status"].get("phase") == "Running", timeout=60)
    r = cluster.kubectl("exec", "quiet", "--", "ls", MOUNT, check=False)
    assert r.returncode != 0
    assert not any(v["name"].startswith("kube-api-access-") for v in cluster.get("pod", "quiet")["spec"].get("volumes", []))
