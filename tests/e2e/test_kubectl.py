"""The API server as a user meets it: real kubectl against a real `swiftlet server`."""
import json
import os
import signal
import subprocess
import time

MANIFEST = """
apiVersion: v1
kind: Namespace
metadata:
  name: kiada
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: kiada
  namespace: kiada
  labels: {app: kiada}
spec:
  replicas: 3
  selector:
    matchLabels: {app: kiada}
  template:
    metadata:
      labels: {app: kiada}
    spec:
      containers:
      - name: kiada
        image: registry.k8s.io/e2e-test-images/agnhost:2.53
        args: ["netexec", "--http-port=8080"]
        ports:
        - {name: http, containerPort: 8080}
---
apiVersion: v1
kind: Service
metadata:
  name: quiz
  namespace: kiada
spec:
  selector: {app: kiada}
  ports:
  - {name: http, port: 80, targetPort: http}
"""


def lines(out):
    return [l.split() for l in out.strip().splitlines() if l.strip()]


def test_get_namespaces(server):
    out = server.kubectl("get", "ns").stdout
    rows = lines(out)
    assert rows[0] == ["NAME", "STATUS", "AGE"]
    assert {r[0] for r in rows[1:]} == {"default", "kube-system", "kube-public", "kube-node-lease"}
    assert all(r[1] == "Active" for r in rows[1:])


def test_apply_is_idempotent_and_tables_match_kubectl(server):
    out = server.kubectl("apply", "-f", "-", input=MANIFEST).stdout
    assert "namespace/kiada created" in out and "deployment.apps/kiada created" in out and "service/quiz created" in out
    again = server.kubectl("apply", "-f", "-", input=MANIFEST).stdout
    assert again.count("unchanged") == 3, again
    wide = server.kubectl("get", "deploy,svc", "-n", "kiada", "-o", "wide").stdout
    rows = lines(wide)
    print(wide)
    assert rows[0] == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE", "CONTAINERS", "IMAGES", "SELECTOR"]
    assert rows[1][0] == "deployment.apps/kiada" and rows[1][1] == "0/3" and rows[1][7] == "app=kiada"
    svc_header = next(r for r in rows if r[0] == "NAME" and "TYPE" in r)
    assert svc_header == ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE", "SELECTOR"]
    quiz = next(r for r in rows if r[0] == "service/quiz")
    assert quiz[1] == "ClusterIP" and quiz[2].startswith("10.") and quiz[3] == "<none>" and quiz[4] == "80/TCP" and quiz[6] == "app=kiada"


def test_describe_patch_label_scale_delete(server):
    server.kubectl("apply", "-f", "-", input=MANIFEST)
    desc = server.kubectl("describe", "svc", "quiz", "-n", "kiada").stdout
    assert "Selector:" in desc and "app=kiada" in desc and "TargetPort:" in desc and "http/TCP" in desc
    server.kubectl("label", "svc", "quiz", "-n", "kiada", "tier=web")
    assert server.kubectl("get", "svc", "-n", "kiada", "-l", "tier=web", "-o", "name").stdout.strip() == "service/quiz"
    server.kubectl("patch", "svc", "quiz", "-n", "kiada", "-p", '{"spec":{"type":"NodePort"}}')
    svc = json.loads(server.kubectl("get", "svc", "quiz", "-n", "kiada", "-o", "json").stdout)
    node_port = svc["spec"]["ports"][0]["nodePort"]
    assert 30000 <= node_port <= 32767
    assert f"80:{node_port}/TCP" in server.kubectl("get", "svc", "quiz", "-n", "kiada").stdout
    server.kubectl("patch", "svc", "quiz", "-n", "kiada", "--type=json", "-p", '[{"op":"replace","path":"/spec/type","value":"ClusterIP"}]')
    server.kubectl("scale", "deploy", "kiada", "-n", "kiada", "--replicas=5")
    assert "0/5" in server.kubectl("get", "deploy", "kiada", "-n", "kiada").stdout
    server.kubectl("delete", "svc", "quiz", "-n", "kiada")
    r = server.kubectl("get", "svc", "quiz", "-n", "kiada", check=False)
    assert r.returncode != 0 and 'services "quiz" not found' in r.stderr


def test_create_service_kinds_and_expose(server):
    server.kubectl("apply", "-f", "-", input=MANIFEST)
    server.kubectl("create", "service", "clusterip", "c1", "-n", "kiada", "--tcp=81:8081")
    server.kubectl("create", "service", "nodeport", "n1", "-n", "kiada", "--tcp=82:8082", "--node-port=30123")
    server.kubectl("create", "service", "loadbalancer", "l1", "-n", "kiada", "--tcp=83:8083")
    server.kubectl("create", "service", "externalname", "e1", "-n", "kiada", "--external-name=db.example.com")
    server.kubectl("expose", "deployment", "kiada", "-n", "kiada", "--type=LoadBalancer", "--port", "8080")
    rows = {r[0]: r for r in lines(server.kubectl("get", "svc", "-n", "kiada").stdout)[1:]}
    assert rows["c1"][1] == "ClusterIP" and rows["c1"][4] == "81/TCP"
    assert rows["n1"][4] == "82:30123/TCP"
    assert rows["l1"][1] == "LoadBalancer" and rows["l1"][3] == "<pending>"
    assert rows["e1"][2] == "<none>" and rows["e1"][3] == "db.example.com"
    assert rows["kiada"][1] == "LoadBalancer"
    exposed = json.loads(server.kubectl("get", "svc", "kiada", "-n", "kiada", "-o", "json").stdout)
    assert exposed["spec"]["selector"] == {"app": "kiada"} and exposed["metadata"]["labels"] == {"app": "kiada"}
    assert exposed["spec"]["ports"][0]["targetPort"] == 8080


def test_invalid_input_is_rejected_and_nothing_stored(server):
    bad = server.kubectl("create", "service", "clusterip", "Bad_Name", "--tcp=80:80", check=False)
    assert bad.returncode != 0
    assert 'Service "Bad_Name" is invalid' in bad.stderr and "metadata.name: Invalid value" in bad.stderr
    assert "Bad_Name" not in server.kubectl("get", "svc").stdout
    r = server.kubectl("apply", "-f", "-", input="apiVersion: v1\nkind: Service\nmetadata:\n  name: x\nspec:\n  ports:\n  - port: 99999\n", check=False)
    assert r.returncode != 0 and "spec.ports[0].port: Invalid value: 99999: must be between 1 and 65535, inclusive" in r.stderr


def test_watch_shows_changes_as_they_happen(server):
    server.kubectl("apply", "-f", "-", input=MANIFEST)
    watch = subprocess.Popen(["kubectl", "get", "svc", "-n", "kiada", "-w", "--output-watch-events"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=server.env)
    try:
        time.sleep(1.0)
        server.kubectl("label", "svc", "quiz", "-n", "kiada", "color=blue")
        server.kubectl("create", "service", "clusterip", "w1", "-n", "kiada", "--tcp=90:90")
        server.kubectl("delete", "svc", "w1", "-n", "kiada")
        time.sleep(1.0)
    finally:
        watch.terminate()
        out, _ = watch.communicate(timeout=10)
    events = [l.split()[:2] for l in out.strip().splitlines()[1:]]
    assert events[0] == ["ADDED", "quiz"]
    assert ["MODIFIED", "quiz"] in events and ["ADDED", "w1"] in events and ["DELETED", "w1"] in events
    assert events.index(["ADDED", "w1"]) < events.index(["DELETED", "w1"])


def test_acknowledged_writes_survive_kill_9(server):
    for i in range(20):
        server.kubectl("create", "service", "clusterip", f"s{i}", "--tcp=80:80")
    before = json.loads(server.kubectl("get", "svc", "-o", "json").stdout)
    server.stop(signal.SIGKILL)
    server.start()
    after = json.loads(server.kubectl("get", "svc", "-o", "json").stdout)
    ips = lambda doc: {i["metadata"]["name"]: i["spec"]["clusterIP"] for i in doc["items"]}
    assert ips(after) == ips(before)
    # The allocator was rebuilt from the store: a new service never gets a taken address.
    server.kubectl("create", "service", "clusterip", "fresh", "--tcp=80:80")
    fresh = json.loads(server.kubectl("get", "svc", "fresh", "-o", "json").stdout)["spec"]["clusterIP"]
    assert fresh not in ips(after).values()


def test_config_maps_and_secrets_as_kubectl_makes_them(server, tmp_path):
    key, crt = tmp_path / "tls.key", tmp_path / "tls.crt"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(crt),
                    "-days", "1", "-subj", "/CN=web.example"], check=True, capture_output=True)
    server.kubectl("create", "secret", "tls", "web-tls", f"--cert={crt}", f"--key={key}")
    server.kubectl("create", "secret", "docker-registry", "pull", "--docker-server=r.example",
                   "--docker-username=u", "--docker-password=p")
    server.kubectl("create", "configmap", "settings", "--from-literal=a=1", "--from-literal=b=2")
    table = server.kubectl("get", "secrets").stdout
    assert "kubernetes.io/tls" in table and "kubernetes.io/dockerconfigjson" in table
    assert server.kubectl("get", "configmap", "settings").stdout.split("\n")[1].split()[1] == "2"
    # A TLS secret without its key, too much data, a change of an immutable object: refused, nothing stored.
    r = server.kubectl("create", "-f", "-", check=False, input=json.dumps({
        "apiVersion": "v1", "kind": "Secret", "metadata": {"name": "half"}, "type": "kubernetes.io/tls",
        "data": {"tls.crt": "YQ=="}}))
    assert r.returncode != 0 and "data[tls.key]: Required value" in r.stderr
    big = tmp_path / "big"
    big.write_bytes(b"x" * (1024 * 1024 + 1))
    r = server.kubectl("create", "configmap", "big", f"--from-file=big={big}", check=False)
    assert r.returncode != 0 and "Too long: may not be more than 1048576 bytes" in r.stderr
    assert server.kubectl("get", "configmap", "big", check=False).returncode != 0
    server.kubectl("create", "-f", "-", input=json.dumps({
        "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "frozen"}, "immutable": True, "data": {"k": "v"}}))
    r = server.kubectl("patch", "configmap", "frozen", "-p", '{"data":{"k":"w"}}', check=False)
    assert r.returncode != 0 and "field is immutable when `immutable` is set" in r.stderr
    assert json.loads(server.kubectl("get", "configmap", "frozen", "-o", "json").stdout)["data"] == {"k": "v"}
