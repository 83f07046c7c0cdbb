"""Fixtures that start a real Swiftlet server and point kubectl at it."""
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import pytest

# The checkout's debug build unless told otherwise (never an installed `swiftlet`, which may be older).
BIN = os.environ.get("SWIFTLET_BIN") or os.path.join(os.path.dirname(__file__), "..", "..", ".build", "debug", "swiftlet")
# The benchmarks are their own executable, built beside `swiftlet`.
BENCH_BIN = os.path.join(os.path.dirname(BIN), "swiftlet-bench")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`swiftlet server` on a private data directory and port; kubectl talks to it."""

    def __init__(self, tmp):
        self.dir = tmp
        self.data = os.path.join(tmp, "data")
        self.port = free_port()
        self.home = os.path.join(tmp, "home")
        os.makedirs(self.home, exist_ok=True)
        self.env = dict(os.environ, HOME=self.home, KUBECONFIG=os.path.join(self.data, "kubeconfig"))
        self.proc = None

    def start(self, *extra):
        log = open(os.path.join(self.dir, "server.log"), "ab")
        self.proc = subprocess.Popen([BIN, "server", "--data-dir", self.data, "--port", str(self.port), *extra],
                                     stdout=log, stderr=log, env=self.env)
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("swiftlet server exited: " + open(os.path.join(self.dir, "server.log")).read())
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    if os.path.exists(self.env["KUBECONFIG"]):
                        return self
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError("swiftlet server did not start")

    def stop(self, sig=signal.SIGTERM):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def kubectl(self, *args, check=True, input=None, timeout=30):
        r = subprocess.run(["kubectl", *args], capture_output=True, text=True, env=self.env, input=input, timeout=timeout)
        if check and r.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
        return r

    @property
    def token(self):
        return open(os.path.join(self.data, "pki", "token")).read().strip()


@pytest.fixture
def server():
    tmp = tempfile.mkdtemp(prefix="swiftlet-e2e-")
    s = Server(tmp)
    s.start()
    try:
        yield s
    finally:
        s.stop()
        shutil.rmtree(tmp, ignore_errors=True)
