"""Identity: every namespace's default ServiceAccount, bound tokens projected into pods and
accepted by the API, RBAC deciding what each caller may do, and kubectl's `auth` and
`create token` commands."""
import base64
import json
import os
import subprocess
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


def test_a_node_reads_only_what_its_pods_use(cluster):
    """The Node authorizer on a live cluster: the agents act as system:node:<name> (their pods
    run with Secrets and ConfigMaps, which no other right of theirs would let them read), and
    that user may read a Secret only while a pod of its node uses it."""
    node = cluster.kubectl("get", "nodes", "-o", "jsonpath={.items[0].metadata.name}").stdout
    as_node = [f"--as=system:node:{node}", "--as-group=system:nodes"]
    cluster.kubectl("create", "secret", "generic", "used", "--from-literal=k=v")
    cluster.kubectl("create", "secret", "generic", "unused", "--from-literal=k=v")
    cluster.kubectl("run", "user", f"--image={AGNHOST}", "--overrides", json.dumps({"spec": {
        "containers": [{"name": "user", "image": AGNHOST, "args": ["pause"],
                        "envFrom": [{"secretRef": {"name": "used"}}]}]}}))
    wait_for("user running", lambda: cluster.get("pod", "user")["status"].get("phase") == "Running", timeout=60)
    assert cluster.kubectl("get", "secret", "used", *as_node).returncode == 0
    denied = cluster.kubectl("get", "secret", "unused", *as_node, check=False)
    assert denied.returncode != 0
    assert (f'secrets "unused" is forbidden: User "system:node:{node}" cannot get resource "secrets" in API '
            f'group "" in the namespace "default": no relationship found between node \'{node}\' and this '
            'object') in denied.stderr
    listed = cluster.kubectl("get", "secrets", *as_node, check=False)
    assert listed.returncode != 0 and "can only get individual resources of this type" in listed.stderr
    other = cluster.kubectl("label", "node", node, "x=y", "--as=system:node:elsewhere", "--as-group=system:nodes",
                            check=False)
    assert other.returncode != 0 and f'node "elsewhere" is not allowed to modify node "{node}"' in other.stderr
    assert cluster.kubectl("auth", "can-i", "list", "services", *as_node).stdout.strip() == "yes"
    assert cluster.kubectl("auth", "can-i", "create", "deployments", *as_node, check=False).stdout.strip() == "no"


def test_exec_acts_as_the_impersonated_user(cluster):
    cluster.kubectl("run", "target", f"--image={AGNHOST}", "--", "pause")
    wait_for("target running", lambda: cluster.get("pod", "target")["status"].get("phase") == "Running", timeout=60)
    cluster.kubectl("create", "serviceaccount", "operator")
    as_operator = ["--as=system:serviceaccount:default:operator"]
    # It may read the pod (kubectl does first), not exec into it: the upgrade itself is refused.
    cluster.kubectl("create", "role", "pod-reader", "--verb=get", "--resource=pods")
    cluster.kubectl("create", "rolebinding", "operator-read", "--role=pod-reader", "--serviceaccount=default:operator")
    wait_for("the pod readable", lambda: cluster.kubectl(
        "get", "pod", "target", *as_operator, check=False).returncode == 0, timeout=20)
    denied = cluster.kubectl("exec", "target", *as_operator, "--", "true", check=False)
    assert denied.returncode != 0
    assert ('User "system:serviceaccount:default:operator" cannot create resource "pods/exec" in API group ""'
            in denied.stderr), denied.stderr
    cluster.kubectl("create", "rolebinding", "operator-edit", "--clusterrole=edit",
                    "--serviceaccount=default:operator")
    done = wait_for("exec allowed once bound", lambda: cluster.kubectl(
        "exec", "target", *as_operator, "--", "echo", "inside", check=False).stdout.strip() == "inside", timeout=20)
    assert done


def test_a_service_account_token_secret_is_filled_and_works(cluster):
    cluster.kubectl("create", "serviceaccount", "builder")
    cluster.apply(json.dumps({"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/service-account-token",
                              "metadata": {"name": "builder-token",
                                           "annotations": {"kubernetes.io/service-account.name": "builder"}}}))
    secret = cluster.get("secret", "builder-token")
    assert sorted(secret["data"]) == ["ca.crt", "namespace", "token"]
    row = cluster.kubectl("get", "secret", "builder-token").stdout.split("\n")[1].split()
    assert row[1:3] == ["kubernetes.io/service-account-token", "3"]
    token = base64.b64decode(secret["data"]["token"]).decode()
    who = json.loads(with_token(cluster, token, "auth", "whoami", "-o", "json", check=True).stdout)
    assert who["status"]["userInfo"]["username"] == "system:serviceaccount:default:builder"
    cluster.kubectl("delete", "secret", "builder-token")
    gone = with_token(cluster, token, "auth", "whoami")
    assert gone.returncode != 0 and "Unauthorized" in gone.stderr


def test_secret_values_appear_in_no_log_and_no_event(cluster):
    value = "s3cr3t-" + os.urandom(6).hex()
    cluster.kubectl("create", "secret", "generic", "hushed", f"--from-literal=password={value}")
    cluster.kubectl("run", "hush", f"--image={AGNHOST}", "--overrides", json.dumps({"spec": {
        "containers": [{"name": "hush", "image": AGNHOST, "args": ["pause"],
                        "env": [{"name": "PASSWORD", "valueFrom": {"secretKeyRef": {"name": "hushed", "key": "password"}}},
                                {"name": "MISSING", "valueFrom": {"secretKeyRef": {"name": "hushed", "key": "nope"}}}],
                        "volumeMounts": [{"name": "s", "mountPath": "/s"}]}],
        "volumes": [{"name": "s", "secret": {"secretName": "hushed"}}]}}))

    def config_error():
        waiting = [s.get("state", {}).get("waiting", {}) for s in
                   cluster.get("pod", "hush")["status"].get("containerStatuses", [])]
        return any(w.get("reason") == "CreateContainerConfigError" for w in waiting)
    assert wait_for("the missing key reported", config_error, timeout=60)
    events = cluster.kubectl("get", "events", "-A", "-o", "json").stdout
    assert 'couldn\'t find key nope in Secret default/hushed' in events
    encoded = base64.b64encode(value.encode()).decode()
    for text, where in [(events, "events"), (cluster.log(), "swiftlet's log")]:
        assert value not in text and encoded not in text, f"the Secret's value is in {where}"


def test_a_new_user_from_an_approved_certificate_signing_request(cluster, tmp_path):
    """The way the Kubernetes docs add a user: a key and CSR made with openssl, a
    CertificateSigningRequest, `kubectl certificate approve`, and the issued certificate in a
    kubeconfig: the user is who the certificate says, with only what RBAC binds."""
    key, csr = tmp_path / "jane.key", tmp_path / "jane.csr"
    subprocess.run(["openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", str(key), "-out", str(csr), "-subj", "/O=devs/CN=jane"], check=True, capture_output=True)
    cluster.apply(json.dumps({"apiVersion": "certificates.k8s.io/v1", "kind": "CertificateSigningRequest",
                              "metadata": {"name": "jane"},
                              "spec": {"request": base64.b64encode(csr.read_bytes()).decode(),
                                       "signerName": "kubernetes.io/kube-apiserver-client",
                                       "expirationSeconds": 86400, "usages": ["client auth"]}}))
    row = cluster.kubectl("get", "csr", "jane").stdout.splitlines()[1].split()
    assert row[2:] == ["kubernetes.io/kube-apiserver-client", "swiftlet-admin", "24h", "Pending"], row
    cluster.kubectl("certificate", "approve", "jane")
    issued = wait_for("jane's certificate", lambda: cluster.get("csr", "jane")["status"].get("certificate"), timeout=20)
    cert = tmp_path / "jane.crt"
    cert.write_bytes(base64.b64decode(issued))
    server = cluster.kubectl("config", "view", "-o", "jsonpath={.clusters[0].cluster.server}").stdout
    as_jane = ["--kubeconfig", "/dev/null", "--server", server,
               "--certificate-authority", os.path.join(cluster.data, "pki", "ca.crt"),
               "--client-certificate", str(cert), "--client-key", str(key)]
    who = json.loads(cluster.kubectl(*as_jane, "auth", "whoami", "-o", "json").stdout)["status"]["userInfo"]
    assert who["username"] == "jane" and who["groups"] == ["devs", "system:authenticated"]
    denied = cluster.kubectl(*as_jane, "get", "pods", check=False)
    assert 'User "jane" cannot list resource "pods"' in denied.stderr
    cluster.kubectl("create", "rolebinding", "devs-view", "--clusterrole=view", "--group=devs")
    assert wait_for("jane reads pods", lambda: cluster.kubectl(*as_jane, "get", "pods", check=False).returncode == 0,
                    timeout=20)
    row = cluster.kubectl("get", "csr", "jane").stdout.splitlines()[1].split()
    assert row[-1] == "Approved,Issued"


def test_components_have_their_upstream_roles(cluster):
    """The controllers run as kube-controller-manager and DNS as CoreDNS's account, with the
    roles upstream gives them, and no more (the cluster working is the rest of the proof)."""
    def can(user, *args):
        return cluster.kubectl("auth", "can-i", *args, f"--as={user}", check=False).stdout.strip()
    kcm = "system:kube-controller-manager"
    assert can(kcm, "create", "pods", "--subresource=binding") == "yes"
    assert can(kcm, "patch", "deployments.apps", "--subresource=status") == "yes"
    assert can(kcm, "create", "clusterrolebindings") == "no"
    assert can(kcm, "create", "pods", "--subresource=exec") == "no"
    dns = "system:serviceaccount:kube-system:coredns"
    assert can(dns, "watch", "endpointslices.discovery.k8s.io") == "yes"
    assert can(dns, "get", "secrets", "-n", "kube-system") == "no"
    names = cluster.kubectl("get", "clusterroles", "-o", "name").stdout.split()
    for role in ["system:controller:deployment-controller", "system:controller:statefulset-controller",
                 "system:kube-scheduler", "system:node-proxier", "system:coredns"]:
        assert f"clusterrole.rbac.authorization.k8s.io/{role}" in names
