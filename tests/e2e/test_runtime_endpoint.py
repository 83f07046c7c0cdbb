"""`swiftlet up --container-runtime-endpoint`: pods on a containerd that Swiftlet does not run.
`up` says which lines that containerd's config needs; with them, pods run there, and stopping
the cluster removes its pods and leaves the runtime (and what else it runs) alone."""
import os
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

from cluster import AGNHOST, Cluster, sh, wait_for
from images import available

pytestmark = pytest.mark.skipif(not available(), reason="needs containerd and busybox-static (scripts/install-deps.sh)")


class ExternalContainerd:
    """A containerd as an administrator runs it, under a directory of its own."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="swiftlet-ext-containerd-")
        self.config = os.path.join(self.dir, "config.toml")
        self.socket = os.path.join(self.dir, "containerd.sock")
        self.proc = None
        self.extra = ""

    def write(self):
        d = self.dir
        with open(self.config, "w") as f:
            f.write(f'''version = 2
root = "{d}/root"
state = "{d}/state"
[grpc]
  address = "{self.socket}"
[ttrpc]
  address = "{self.socket}.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "{d}/opt"
[plugins."io.containerd.grpc.v1.cri"]
  restrict_oom_score_adj = true
[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"
{self.extra}
''')

    def start(self):
        self.write()
        self.proc = subprocess.Popen(["containerd", "--config", self.config, "--log-level", "warn"],
                                     stdout=open(os.path.join(self.dir, "log"), "ab"), stderr=subprocess.STDOUT)
        wait_for("containerd answers", lambda: sh("ctr", "--address", self.socket, "version", check=False).returncode == 0,
                 timeout=30)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=20)

    def containers(self):
        return sh("ctr", "--address", self.socket, "-n", "k8s.io", "containers", "ls", "-q").stdout.split()

    def close(self):
        self.stop()
        for line in sh("ps", "-ewwo", "pid,args").stdout.splitlines():
            pid, _, args = line.strip().partition(" ")
            if self.socket in args:
                os.kill(int(pid), signal.SIGKILL)
        subprocess.run(["umount", "-R", "-l", self.dir], capture_output=True)
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def runtime():
    r = ExternalContainerd()
    try:
        r.start()
        yield r
    finally:
        r.close()


def test_pods_run_on_a_given_containerd_and_leave_it_running(runtime):
    endpoint = "unix://" + runtime.socket
    cluster = Cluster(nodes=1, extra=("--container-runtime-endpoint", endpoint))
    try:
        # Unconfigured, it is refused with the lines to add.
        r = subprocess.run(cluster.args, capture_output=True, text=True, env=cluster.env, timeout=60)
        assert r.returncode != 0
        out = r.stdout + r.stderr
        assert "does not use Swiftlet's CNI plugin" in out, out
        lines = out.splitlines()
        first = next(i for i, l in enumerate(lines) if l.strip().startswith('[plugins."io.containerd.grpc.v1.cri".cni]'))
        last = next(i for i, l in enumerate(lines) if l.strip().startswith("BinaryName = "))
        runtime.stop()
        runtime.extra = "\n".join(lines[first:last + 1])
        runtime.start()
        # Configured as it says, the cluster runs its pods there.
        cluster.start()
        assert "Connecting to the container runtime at " + endpoint in cluster.log()
        cluster.kubectl("run", "web", f"--image={AGNHOST}", "--", "netexec", "--http-port=8080")
        wait_for("web running", lambda: cluster.get("pod", "web")["status"].get("phase") == "Running", timeout=60)
        ip = cluster.get("pod", "web")["status"]["podIP"]
        assert wait_for("served", lambda: sh("curl", "-s", "-m", "2", f"http://{ip}:8080/hostname", check=False).stdout) == "web"
        node = cluster.get("node", "node-1")
        assert node["status"]["nodeInfo"]["containerRuntimeVersion"].startswith("containerd://")
        assert len(runtime.containers()) >= 2  # the pod's sandbox and its container
        # Stopping removes the cluster's pods from it; the runtime keeps running.
        cluster.stop()
        assert runtime.proc.poll() is None
        assert runtime.containers() == []
    finally:
        cluster.close()
    assert all(not v for v in cluster.leftovers().values()), cluster.leftovers()
