"""A whole Swiftlet cluster (`swiftlet up`) on private names, ranges and ports, for tests.

Every cluster gets a random name and address ranges of its own, so a test never touches
another cluster (or a developer's), and `close()` runs `swiftlet down` whatever happened.
"""
import ipaddress
import glob
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import tempfile
import time

from conftest import BIN, free_port


def sh(*args, check=True, timeout=30):
    r = subprocess.run(list(args), capture_output=True, text=True, timeout=timeout)
    if check and r.returncode != 0:
        raise AssertionError(f"{' '.join(args)} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
    return r


def routed_networks():
    """Every IPv4 network some route on this machine covers (another cluster, a leftover, the host's own)."""
    out = subprocess.run(["ip", "-4", "route", "show", "table", "all"], capture_output=True, text=True).stdout
    nets = []
    for line in out.splitlines():
        words = line.split()
        if words and words[0] in ("unreachable", "blackhole", "prohibit", "local", "broadcast"):
            words = words[1:]
        if words and words[0] != "default":
            try:
                nets.append(ipaddress.ip_network(words[0], strict=False))
            except ValueError:
                pass
    return nets


def free_ranges(candidates, attempts=200):
    """The first tuple of CIDRs from `candidates()` that no route on the machine overlaps, so a test
    cluster never collides with another cluster running at the same time (or one a killed run left)."""
    taken = routed_networks()
    for _ in range(attempts):
        ranges = candidates()
        if not any(ipaddress.ip_network(r).overlaps(t) for r in ranges for t in taken):
            return ranges
    raise AssertionError(f"no free address ranges for a test cluster; routes on this machine: {taken}")


class Cluster:
    def __init__(self, nodes=2, extra=()):
        self.tmp = tempfile.mkdtemp(prefix="swiftlet-up-")
        self.data = os.path.join(self.tmp, "data")
        self.home = os.path.join(self.tmp, "home")
        os.makedirs(self.home)
        self.name = "t%05d" % random.randrange(100000)
        self.node_cidr, self.pod_cidr, self.service_cidr = free_ranges(lambda: (
            f"172.31.{random.randrange(1, 250)}.0/24", f"10.{random.randrange(200, 250)}.0.0/16", f"10.{random.randrange(150, 200)}.0.0/16"))
        self.port = free_port()
        self.nodes = nodes
        self.env = dict(os.environ, HOME=self.home, KUBECONFIG=os.path.join(self.data, "kubeconfig"))
        # Cluster DNS forwards nowhere unless a test gives it an upstream of its own.
        if not any(a.startswith("--dns-upstream") for a in extra):
            extra = (*extra, "--dns-upstream", "none")
        # Images stay unless a test asks for collection: the machine's disk may be fuller
        # than kubelet's 85% (a test's image, imported once, is used minutes later).
        if not any(a.startswith("--image-gc-high-threshold") for a in extra):
            extra = (*extra, "--image-gc-high-threshold", "100", "--image-gc-low-threshold", "99")
        self.args = [BIN, "up", "--nodes", str(nodes), "--data-dir", self.data, "--name", self.name, "--port", str(self.port),
                     "--node-cidr", self.node_cidr, "--pod-cidr", self.pod_cidr, "--service-cidr", self.service_cidr, *extra]
        self.proc = None
        self.output = os.path.join(self.tmp, "up.log")

    def start(self, timeout=60):
        self.proc = subprocess.Popen(self.args, stdout=open(self.output, "wb"), stderr=subprocess.STDOUT, env=self.env)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("swiftlet up exited:\n" + self.log())
            if "is up with" in self.log():
                return self
            time.sleep(0.05)
        raise RuntimeError("swiftlet up did not finish:\n" + self.log())

    def log(self):
        return open(self.output).read() if os.path.exists(self.output) else ""

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def down(self):
        return sh(BIN, "down", "--data-dir", self.data, "--name", self.name, check=False, timeout=60)

    def close(self):
        try:
            self.stop()
        finally:
            self.down()
            shutil.rmtree(self.tmp, ignore_errors=True)

    def kubectl(self, *args, check=True, input=None, timeout=60):
        r = subprocess.run(["kubectl", *args], capture_output=True, text=True, env=self.env, input=input, timeout=timeout)
        if check and r.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
        return r

    def get(self, *args):
        return json.loads(self.kubectl("get", *args, "-o", "json").stdout)

    def apply(self, manifest):
        return self.kubectl("apply", "-f", "-", input=manifest)

    def leftovers(self):
        """Everything of this cluster still on the machine."""
        prefix = f"swl-{self.name}"
        netns = [l.split()[0] for l in sh("ip", "netns", "list").stdout.splitlines() if l.startswith(prefix)]
        links = [l for l in sh("ip", "-o", "link", "show").stdout.splitlines() if f" {prefix}" in l or f" {prefix}:" in l]
        routes = [l for l in sh("ip", "-o", "route", "show").stdout.splitlines()
                  if any(r in l for r in (self.node_cidr, self.pod_cidr, self.service_cidr)) or prefix in l]
        # The cluster's own processes, its containerd and shims, and a joined node's (under tmp).
        procs = [l for l in sh("ps", "-ewwo", "pid,args").stdout.splitlines() if self.tmp in l and "swiftlet" in l]
        tables = [l for l in sh("nft", "list", "tables").stdout.splitlines() if f"swiftlet-{self.name}" in l]
        # The pods' cgroups (a container outlives a killed shim, never its cgroup's removal).
        cgroups = glob.glob(f"/sys/fs/cgroup/*/swiftlet-{self.name}*") + glob.glob(f"/sys/fs/cgroup/swiftlet-{self.name}*")
        return {"netns": netns, "links": links, "routes": routes, "processes": procs, "nft tables": tables,
                "cgroups": cgroups}


AGNHOST = "registry.k8s.io/e2e-test-images/agnhost:2.53"


def pod_cgroups(c, uid):
    """The pod's cgroup in each hierarchy (kubelet's pod<uid>, under the cluster's own)."""
    return glob.glob(f"/sys/fs/cgroup/*/swiftlet-{c.name}/pod{uid}") + glob.glob(f"/sys/fs/cgroup/swiftlet-{c.name}/pod{uid}")


def pod_pids(c, uid):
    """Every process of a pod's containers (its sandbox's pause included)."""
    pids = set()
    for d in pod_cgroups(c, uid):
        for f in glob.glob(os.path.join(d, "**", "cgroup.procs"), recursive=True):
            pids.update(int(x) for x in open(f).read().split())
    return sorted(pids)


def deployment(name, replicas, extra_container="", extra_spec=""):
    """A Deployment of agnhost netexec pods (HTTP 8080, UDP 8081) with a readiness probe."""
    return f"""
apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}}}
spec:
  replicas: {replicas}
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata: {{labels: {{app: {name}}}}}
    spec:{extra_spec}
      containers:
      - name: app
        image: {AGNHOST}
        args: ["netexec", "--http-port=8080", "--udp-port=8081"]
        readinessProbe:
          httpGet: {{path: /healthz, port: 8080}}
          periodSeconds: 1{extra_container}
"""


def running_cluster(nodes, extra=()):
    """For a module-scoped fixture: `yield from running_cluster(3)`."""
    c = Cluster(nodes=nodes, extra=extra)
    try:
        c.start()
        yield c
    finally:
        c.close()


def ready_pods(c, selector, n, timeout=60, namespace=None):
    """Waits for exactly `n` Ready, not terminating pods matching a label selector."""
    def check():
        pods = c.get("pods", *(["-n", namespace] if namespace else []), "-l", selector)["items"]
        ready = [p for p in pods if p["metadata"].get("deletionTimestamp") is None and any(
            x["type"] == "Ready" and x["status"] == "True" for x in p.get("status", {}).get("conditions", []))]
        return ready if len(ready) == n else None
    return wait_for(f"{n} ready pods {selector}", check, timeout=timeout)


def wait_for(what, fn, timeout=60, interval=0.2):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        try:
            last = fn()
            if last:
                return last
        except (AssertionError, KeyError, IndexError, ValueError) as e:
            last = e
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what}; last: {last}")


def import_busybox(c):
    """Imports the busybox test image (built from the host's busybox-static) into a cluster."""
    from images import busybox_archive
    archive = busybox_archive(os.path.join(c.tmp, "busybox.tar"))
    out = sh(BIN, "images", "import", "--data-dir", c.data, archive, timeout=60).stdout
    assert "imported" in out
    return "swiftlet.local/busybox:1"
