"""Endpoints and EndpointSlices follow pods, readiness and labels (the controllers are API clients)."""
import json
import time


def pod_manifest(name, labels="app: quiz", node="node-1"):
    return f"""
apiVersion: v1
kind: Pod
metadata:
  name: {name}
  labels: {{{labels}}}
spec:
  nodeName: {node}
  containers:
  - name: c
    image: registry.k8s.io/e2e-test-images/agnhost:2.53
    ports: [{{name: http, containerPort: 8080}}]
"""


def set_status(server, name, ip, ready):
    status = {"status": {"phase": "Running", "podIP": ip,
                         "conditions": [{"type": "Ready", "status": "True" if ready else "False"}]}}
    server.kubectl("patch", "pod", name, "--subresource=status", "--type=merge", "-p", json.dumps(status))


def eventually(check, timeout=10.0):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        try:
            last = check()
            if last:
                return last
        except AssertionError as e:
            last = e
        time.sleep(0.1)
    raise AssertionError(f"condition not met in {timeout}s: {last}")


def endpoints(server, name="quiz"):
    r = server.kubectl("get", "endpoints", name, "-o", "json", check=False)
    if r.returncode != 0:
        return None
    return json.loads(r.stdout)


def addresses(ep, key="addresses"):
    return sorted(a["ip"] for s in (ep or {}).get("subsets") or [] for a in s.get(key) or [])


def slices(server, service="quiz"):
    doc = json.loads(server.kubectl("get", "endpointslices", "-l", f"kubernetes.io/service-name={service}", "-o", "json").stdout)
    return doc["items"]


def test_endpoints_follow_readiness_labels_and_deletion(server):
    server.kubectl("create", "service", "clusterip", "quiz", "--tcp=80:http")
    server.kubectl("patch", "svc", "quiz", "-p", '{"spec":{"selector":{"app":"quiz"},"ports":[{"name":"80-http","port":80,"targetPort":"http"}]}}')
    for i in (1, 2, 3):
        server.kubectl("apply", "-f", "-", input=pod_manifest(f"p{i}", node=f"node-{i}"))
        set_status(server, f"p{i}", f"10.244.{i}.5", ready=(i != 3))
    eventually(lambda: addresses(endpoints(server)) == ["10.244.1.5", "10.244.2.5"])
    ep = endpoints(server)
    assert addresses(ep, "notReadyAddresses") == ["10.244.3.5"]
    assert ep["subsets"][0]["ports"][0]["port"] == 8080  # the named port, resolved

    out = server.kubectl("get", "endpoints", "quiz").stdout
    assert "10.244.1.5:8080,10.244.2.5:8080" in out

    (s,) = slices(server)
    assert s["metadata"]["labels"]["endpointslice.kubernetes.io/managed-by"] == "endpointslice-controller.k8s.io"
    assert s["metadata"]["ownerReferences"][0]["kind"] == "Service"
    conds = {e["targetRef"]["name"]: e["conditions"] for e in s["endpoints"]}
    assert conds["p3"] == {"ready": False, "serving": False, "terminating": False}
    assert conds["p1"]["ready"] is True and s["endpoints"][0]["nodeName"].startswith("node-")

    # Readiness flips move the address.
    set_status(server, "p3", "10.244.3.5", ready=True)
    eventually(lambda: addresses(endpoints(server)) == ["10.244.1.5", "10.244.2.5", "10.244.3.5"])
    # Relabel a pod out of the service and back.
    server.kubectl("label", "pod", "p1", "app=other", "--overwrite")
    eventually(lambda: addresses(endpoints(server)) == ["10.244.2.5", "10.244.3.5"])
    server.kubectl("label", "pod", "p1", "app=quiz", "--overwrite")
    eventually(lambda: addresses(endpoints(server)) == ["10.244.1.5", "10.244.2.5", "10.244.3.5"])
    # A terminating pod leaves Endpoints, and stays in the slice as terminating.
    server.kubectl("delete", "pod", "p2", "--wait=false")
    eventually(lambda: addresses(endpoints(server)) == ["10.244.1.5", "10.244.3.5"])
    eventually(lambda: any(e["targetRef"]["name"] == "p2" and e["conditions"]["terminating"] for e in slices(server)[0]["endpoints"]))

    # A slice deleted by hand comes back.
    name = slices(server)[0]["metadata"]["name"]
    server.kubectl("delete", "endpointslice", name)
    eventually(lambda: len(slices(server)) == 1 and slices(server)[0]["metadata"]["name"] != name)

    # Deleting the service removes its Endpoints and slices.
    server.kubectl("delete", "svc", "quiz")
    eventually(lambda: endpoints(server) is None and slices(server) == [])


def test_empty_service_has_one_empty_slice(server):
    server.kubectl("create", "service", "clusterip", "empty", "--tcp=80:80")
    eventually(lambda: len(slices(server, "empty")) == 1)
    out = server.kubectl("get", "endpointslices", "-l", "kubernetes.io/service-name=empty").stdout
    assert "<unset>" in out
    ep = eventually(lambda: endpoints(server, "empty"))
    assert ep.get("subsets") in (None, [])


def test_selectorless_service_with_manual_endpoints_is_mirrored(server):
    server.kubectl("apply", "-f", "-", input="""
apiVersion: v1
kind: Service
metadata: {name: db}
spec:
  ports: [{name: pg, port: 5432}]
---
apiVersion: v1
kind: Endpoints
metadata: {name: db}
subsets:
- addresses: [{ip: 172.30.0.1}]
  ports: [{name: pg, port: 15432}]
""")
    def mirrored():
        s = slices(server, "db")
        return s if len(s) == 1 and s[0]["endpoints"] else None
    (s,) = eventually(mirrored)
    assert s["metadata"]["labels"]["endpointslice.kubernetes.io/managed-by"] == "endpointslicemirroring-controller.k8s.io"
    assert s["endpoints"][0]["addresses"] == ["172.30.0.1"] and s["ports"][0]["port"] == 15432
    assert s["metadata"]["ownerReferences"][0]["kind"] == "Endpoints"
    # Kept in step with the Endpoints object.
    server.kubectl("patch", "endpoints", "db", "--type=merge", "-p",
                   '{"subsets":[{"addresses":[{"ip":"172.30.0.1"},{"ip":"172.30.0.2"}],"ports":[{"name":"pg","port":15432}]}]}')
    eventually(lambda: sorted(e["addresses"][0] for e in slices(server, "db")[0]["endpoints"]) == ["172.30.0.1", "172.30.0.2"])
    # skip-mirror turns mirroring off.
    server.kubectl("label", "endpoints", "db", "endpointslice.kubernetes.io/skip-mirror=true")
    eventually(lambda: slices(server, "db") == [])
    server.kubectl("label", "endpoints", "db", "endpointslice.kubernetes.io/skip-mirror-")
    eventually(mirrored)
    # Switched to a selector: the endpoints controller takes over, mirroring stops.
    server.kubectl("apply", "-f", "-", input=pod_manifest("dbpod", labels="app: db"))
    set_status(server, "dbpod", "10.244.1.9", ready=True)
    server.kubectl("patch", "svc", "db", "-p", '{"spec":{"selector":{"app":"db"}}}')
    def switched():
        s = slices(server, "db")
        return len(s) == 1 and s[0]["metadata"]["labels"]["endpointslice.kubernetes.io/managed-by"] == "endpointslice-controller.k8s.io"
    eventually(switched)
    eventually(lambda: addresses(endpoints(server, "db")) == ["10.244.1.9"])
