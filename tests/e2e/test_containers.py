"""Pods with real images on containerd: an image imported air-gapped, served through a
LoadBalancer, exec'd into, logged, isolated from the host; and a missing image."""
import json
import os
import subprocess

import pytest

from cluster import BIN, running_cluster, ready_pods, sh, wait_for
from images import available, busybox_archive

pytestmark = pytest.mark.skipif(not available(), reason="needs containerd and busybox-static (scripts/install-deps.sh)")


@pytest.fixture(scope="module")
def cluster():
    yield from running_cluster(2)


@pytest.fixture(scope="module")
def busybox(cluster):
    archive = busybox_archive(os.path.join(cluster.tmp, "busybox.tar"))
    out = sh(BIN, "images", "import", "--data-dir", cluster.data, archive, timeout=60).stdout
    assert "imported" in out
    listing = sh(BIN, "images", "ls", "--data-dir", cluster.data).stdout
    assert "swiftlet.local/busybox:1" in listing and "swiftlet.local/pause:1" in listing
    return "swiftlet.local/busybox:1"


def test_up_runs_its_own_containerd_and_down_leaves_nothing_of_it(cluster):
    assert "Starting containerd" in cluster.log()
    procs = sh("ps", "-ewwo", "args").stdout
    assert any(l.startswith("/usr/bin/containerd --config " + cluster.data) for l in procs.splitlines())


def test_an_imported_image_serves_through_a_load_balancer(cluster, busybox):
    cluster.kubectl("create", "deployment", "web", f"--image={busybox}", "--replicas=2",
                    "--", "httpd", "-f", "-p", "8080", "-h", "/www")
    pods = ready_pods(cluster, "app=web", 2, timeout=60)
    status = pods[0]["status"]["containerStatuses"][0]
    assert status["containerID"].startswith("containerd://")
    assert status["imageID"].startswith("sha256:")
    cluster.kubectl("expose", "deployment", "web", "--port", "80", "--target-port", "8080", "--type", "LoadBalancer")
    ip = wait_for("an external IP", lambda: (cluster.get("service", "web")["status"].get("loadBalancer", {})
                                             .get("ingress") or [{}])[0].get("ip"))
    body = wait_for("the page through the LB", lambda: subprocess.run(
        ["curl", "-s", "-m", "2", f"http://{ip}/"], capture_output=True, text=True).stdout or None, timeout=30)
    assert body == "hello from busybox\n"


def test_a_container_sees_its_image_and_not_the_host(cluster, busybox):
    pod = ready_pods(cluster, "app=web", 2)[0]["metadata"]["name"]
    listing = cluster.kubectl("exec", pod, "--", "ls", "/").stdout.split()
    assert "www" in listing and "work" not in listing and "opt" not in listing
    key = os.path.join(cluster.data, "pki", "ca.key")
    assert os.path.exists(key)
    r = cluster.kubectl("exec", pod, "--", "cat", key, check=False)
    assert r.returncode != 0 and "BEGIN" not in r.stdout
    assert cluster.kubectl("exec", pod, "--", "hostname").stdout.strip() == pod
    # Its own PID namespace: httpd is PID 1 and the host's processes are not there.
    ps = cluster.kubectl("exec", pod, "--", "ps").stdout
    assert "containerd" not in ps and "swiftlet" not in ps
    r = cluster.kubectl("exec", pod, "--", "sh", "-c", "echo out; echo err >&2; exit 3", check=False)
    assert r.returncode == 3 and r.stdout == "out\n" and "err" in r.stderr


def test_logs_come_from_the_runtimes_files(cluster, busybox):
    cluster.kubectl("run", "talker", f"--image={busybox}", "--restart=Never", "--",
                    "sh", "-c", "echo hello; echo oops >&2; echo bye")
    wait_for("talker done", lambda: cluster.get("pod", "talker")["status"].get("phase") == "Succeeded")
    # stdout and stderr are separate pipes to the runtime: each keeps its order, not their interleaving.
    lines = cluster.kubectl("logs", "talker").stdout.splitlines()
    assert sorted(lines) == ["bye", "hello", "oops"] and lines.index("hello") < lines.index("bye")
    stamped = cluster.kubectl("logs", "talker", "--timestamps").stdout.splitlines()
    hello = next(l for l in stamped if l.endswith(" hello"))
    assert len(stamped) == 3 and hello[:4].isdigit() and hello.split(" ")[0].endswith("Z")
    term = cluster.get("pod", "talker")["status"]["containerStatuses"][0]["state"]["terminated"]
    assert term["exitCode"] == 0 and term["reason"] == "Completed"


def test_a_missing_image_waits_with_the_registrys_error(cluster):
    cluster.kubectl("run", "ghost", "--image=swiftlet.local/nothing-here:1", "--restart=Never")
    def waiting():
        s = cluster.get("pod", "ghost")["status"].get("containerStatuses", [{}])[0].get("state", {}).get("waiting", {})
        return s if s.get("reason") in ("ErrImagePull", "ImagePullBackOff") else None
    w = wait_for("ghost waiting on its image", waiting, timeout=60)
    assert "swiftlet.local/nothing-here:1" in w.get("message", "")
    events = cluster.kubectl("get", "events", "--field-selector", "involvedObject.name=ghost").stdout
    assert "Pulling" in events and "Failed" in events
