"""A private etcd cluster on loopback for tests: members on free ports, data in the test's
own directory, each member killable and restartable."""
import os
import shutil
import signal
import subprocess

from cluster import wait_for
from conftest import free_port

ETCD = shutil.which("etcd") or "/usr/bin/etcd"


class Etcd:
    def __init__(self, tmp, members=3):
        ports = [(free_port(), free_port()) for _ in range(members)]
        initial = ",".join(f"m{i}=http://127.0.0.1:{p}" for i, (_, p) in enumerate(ports))
        self.clients = [f"127.0.0.1:{c}" for c, _ in ports]
        self.args = [
            [ETCD, "--name", f"m{i}", "--data-dir", os.path.join(tmp, f"etcd-m{i}"),
             "--listen-client-urls", f"http://127.0.0.1:{c}", "--advertise-client-urls", f"http://127.0.0.1:{c}",
             "--listen-peer-urls", f"http://127.0.0.1:{p}", "--initial-advertise-peer-urls", f"http://127.0.0.1:{p}",
             "--initial-cluster", initial, "--log-level", "error"]
            for i, (c, p) in enumerate(ports)]
        self.procs = [None] * members
        for i in range(members):
            self.start(i)
        wait_for("etcd answering", lambda: all(self.answers(i) for i in range(members)), timeout=30)

    def start(self, i):
        self.procs[i] = subprocess.Popen(self.args[i], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def answers(self, i):
        return subprocess.run(["curl", "-s", "-f", "-m", "1", "-X", "POST", f"http://{self.clients[i]}/v3/kv/range",
                               "-d", '{"key":"Lw=="}'], capture_output=True).returncode == 0

    def kill(self, i):
        self.procs[i].send_signal(signal.SIGKILL)
        self.procs[i].wait()

    @property
    def url(self):
        return "etcd://" + ",".join(self.clients)

    def stop(self):
        for p in self.procs:
            if p and p.poll() is None:
                p.terminate()
        for p in self.procs:
            if not p:
                continue
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
