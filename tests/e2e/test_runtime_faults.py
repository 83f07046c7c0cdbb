"""The container runtime misbehaving, survived: pods created and deleted within
milliseconds, containerd hanging (the Node goes NotReady with a message that names the
fix, and Ready again) and containerd killed (started again; its pods keep running)."""
import glob
import os
import signal
import subprocess
import time

import pytest

from cluster import running_cluster, ready_pods, wait_for
from images import available

pytestmark = pytest.mark.skipif(not available(), reason="needs containerd and busybox-static (scripts/install-deps.sh)")


@pytest.fixture(scope="module")
def cluster():
    yield from running_cluster(1)


def containerd_pid(cluster):
    for line in subprocess.run(["ps", "-ewwo", "pid,args"], capture_output=True, text=True).stdout.splitlines():
        pid, _, args = line.strip().partition(" ")
        if args.startswith("/usr/bin/containerd --config " + cluster.data):
            return int(pid)
    return None


def ready_condition(cluster):
    node = cluster.get("node", "node-1")
    return next(c for c in node["status"]["conditions"] if c["type"] == "Ready")


def up_is_running(cluster):
    return cluster.proc.poll() is None


def test_pods_created_and_deleted_at_once_never_take_the_cluster_down(cluster):
    cluster.kubectl("create", "deployment", "flicker", "--image=registry.k8s.io/e2e-test-images/agnhost:2.53",
                    "--replicas=0", "--", "/agnhost", "pause")
    for _ in range(5):
        # The controllers create twenty pods and delete them again milliseconds later.
        cluster.kubectl("scale", "deployment", "flicker", "--replicas=20")
        cluster.kubectl("scale", "deployment", "flicker", "--replicas=0")
    assert up_is_running(cluster)
    wait_for("no flicker pods", lambda: not cluster.get("pods", "-l", "app=flicker")["items"], timeout=90)
    # No sandbox or container left behind in the runtime (a half-made one included), nor a cgroup.
    ctr = ["ctr", "--address", os.path.join(cluster.data, "containerd", "containerd.sock"), "-n", "k8s.io"]
    wait_for("no containers", lambda: subprocess.run(ctr + ["containers", "ls", "-q"], capture_output=True,
                                                      text=True).stdout.split() == [], timeout=60)
    wait_for("their cgroups gone", lambda: not glob.glob(f"/sys/fs/cgroup/memory/swiftlet-{cluster.name}/pod*"),
             timeout=60)
    cluster.kubectl("scale", "deployment", "flicker", "--replicas=2")
    ready_pods(cluster, "app=flicker", 2, timeout=60)
    assert up_is_running(cluster) and ready_condition(cluster)["status"] == "True"


def test_a_hanging_runtime_makes_the_node_not_ready_until_it_answers(cluster):
    pid = containerd_pid(cluster)
    assert pid
    os.kill(pid, signal.SIGSTOP)
    try:
        c = wait_for("Ready False", lambda: (lambda r: r if r["status"] == "False" else None)(ready_condition(cluster)),
                     timeout=45)
        assert c["reason"] == "KubeletNotReady" and c["message"].startswith("container runtime is down")
        assert "containerd" in c["message"]
    finally:
        os.kill(pid, signal.SIGCONT)
    wait_for("Ready again", lambda: ready_condition(cluster)["status"] == "True", timeout=45)
    assert up_is_running(cluster)


def test_a_killed_runtime_is_started_again_and_its_pods_keep_running(cluster):
    cluster.kubectl("run", "survivor", "--image=registry.k8s.io/e2e-test-images/agnhost:2.53", "--",
                    "netexec", "--http-port=8080")
    pod = ready_pods(cluster, "run=survivor", 1)[0]
    before = pod["status"]["containerStatuses"][0]["containerID"]
    old = containerd_pid(cluster)
    os.kill(old, signal.SIGKILL)
    wait_for("a new containerd", lambda: (containerd_pid(cluster) or old) != old, timeout=30)
    assert "containerd exited" in cluster.log()
    # The container never stopped: same ID, no restart, and it still answers.
    def exec_hostname():
        r = cluster.kubectl("exec", "survivor", "--", "wget", "-q", "-O", "-", "http://127.0.0.1:8080/hostname",
                            check=False)
        if r.returncode != 0:
            raise AssertionError(r.stderr.strip())
        return r.stdout
    out = wait_for("exec works again", exec_hostname, 60)
    assert out == "survivor"
    status = cluster.get("pod", "survivor")["status"]["containerStatuses"][0]
    assert status["containerID"] == before and status["restartCount"] == 0
    cluster.kubectl("run", "newcomer", "--image=registry.k8s.io/e2e-test-images/agnhost:2.53", "--", "pause")
    ready_pods(cluster, "run=newcomer", 1, timeout=60)
    node = cluster.get("node", "node-1")
    assert node["status"]["nodeInfo"]["containerRuntimeVersion"].startswith("containerd://")
    assert any("agnhost" in n for i in node["status"]["images"] for n in i["names"])
