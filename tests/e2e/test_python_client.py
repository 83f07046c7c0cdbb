"""The official Python client lists and watches through Swiftlet like through any cluster."""
import threading
import time

from kubernetes import client, config, watch


def api(server):
    config.load_kube_config(config_file=server.env["KUBECONFIG"])
    return client.CoreV1Api()


def test_list_and_watch(server):
    v1 = api(server)
    names = sorted(ns.metadata.name for ns in v1.list_namespace().items)
    assert names == ["default", "kube-node-lease", "kube-public", "kube-system"]
    svc = client.V1Service(metadata=client.V1ObjectMeta(name="quiz"),
                           spec=client.V1ServiceSpec(selector={"app": "kiada"}, ports=[client.V1ServicePort(port=80)]))
    created = v1.create_namespaced_service("default", svc)
    assert created.spec.cluster_ip.startswith("10.")
    listed = v1.list_namespaced_service("default")
    rv = listed.metadata.resource_version
    seen = []

    def consume():
        w = watch.Watch()
        for event in w.stream(v1.list_namespaced_service, "default", resource_version=rv, timeout_seconds=10):
            seen.append((event["type"], event["object"].metadata.name))
            if event["type"] == "DELETED":
                w.stop()

    t = threading.Thread(target=consume)
    t.start()
    time.sleep(0.5)
    v1.patch_namespaced_service("quiz", "default", {"metadata": {"labels": {"x": "y"}}})
    v1.delete_namespaced_service("quiz", "default")
    t.join(timeout=15)
    assert seen == [("MODIFIED", "quiz"), ("DELETED", "quiz")]
