"""Pulling from registries, offline: two local registries (Debian's docker-registry on
loopback), one a mirror of docker.io given with `--registry-config` (k3s's registries.yaml),
one that wants a password, which pods give with an image pull secret. `busybox:1.36` from
the "internet" is the image the test pushed to the mirror."""
import os
import warnings
import shutil
import subprocess
import tempfile
import time
import urllib.request

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import crypt  # bcrypt for the registry's htpasswd (glibc's libxcrypt)

from cluster import Cluster, ready_pods, sh, wait_for
from conftest import free_port
from images import available, busybox_archive

REGISTRY = "/usr/bin/docker-registry"
pytestmark = pytest.mark.skipif(not (available() and os.path.exists(REGISTRY) and shutil.which("skopeo")),
                                reason="needs containerd, docker-registry and skopeo (scripts/install-deps.sh)")


class Registry:
    def __init__(self, tmp, name, user=None, password=None):
        self.port = free_port()
        self.host = f"127.0.0.1:{self.port}"
        root = os.path.join(tmp, name)
        os.makedirs(root)
        config = [f"version: 0.1", f"storage: {{filesystem: {{rootdirectory: {root}/data}}}}",
                  f"http: {{addr: {self.host}}}"]
        if user:
            with open(os.path.join(root, "htpasswd"), "w") as f:
                f.write(f"{user}:{crypt.crypt(password, crypt.mksalt(crypt.METHOD_BLOWFISH))}\n")
            config.append(f"auth: {{htpasswd: {{realm: swiftlet, path: {root}/htpasswd}}}}")
        with open(os.path.join(root, "config.yml"), "w") as f:
            f.write("\n".join(config) + "\n")
        self.proc = subprocess.Popen([REGISTRY, "serve", os.path.join(root, "config.yml")],
                                     stdout=open(os.path.join(root, "log"), "wb"), stderr=subprocess.STDOUT)
        def answers():
            try:
                urllib.request.urlopen(f"http://{self.host}/v2/", timeout=1)
                return True
            except urllib.error.HTTPError as e:
                return e.code == 401
            except OSError:
                return False
        wait_for(f"registry on {self.host}", answers, timeout=20)
        self.creds = (user, password)

    def push(self, archive, repository):
        args = ["skopeo", "copy", "--dest-tls-verify=false", f"oci-archive:{archive}", f"docker://{self.host}/{repository}"]
        if self.creds[0]:
            args[2:2] = ["--dest-creds", f"{self.creds[0]}:{self.creds[1]}"]
        sh(*args, timeout=60)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)


@pytest.fixture(scope="module")
def setup():
    tmp = tempfile.mkdtemp(prefix="swiftlet-registry-")
    registries = []
    cluster = None
    try:
        mirror = Registry(tmp, "mirror")
        private = Registry(tmp, "private", user="puller", password="s3cret")
        registries += [mirror, private]
        archive = busybox_archive(os.path.join(tmp, "busybox.tar"))
        mirror.push(archive, "library/busybox:1.36")
        private.push(archive, "team/busybox:1")
        config = os.path.join(tmp, "registries.yaml")
        with open(config, "w") as f:
            f.write(f"mirrors:\n  docker.io:\n    endpoint: [\"http://{mirror.host}\"]\n"
                    f"  \"{private.host}\":\n    endpoint: [\"http://{private.host}\"]\n")
        cluster = Cluster(nodes=2, extra=("--registry-config", config))
        cluster.start()
        yield cluster, mirror, private
    finally:
        if cluster:
            cluster.close()
        for r in registries:
            r.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def event_messages(cluster, name):
    events = cluster.get("events", "--field-selector", f"involvedObject.name={name}")["items"]
    return "\n".join(f"{e['reason']}: {e['message']}" for e in events)


def test_an_image_from_docker_io_comes_through_the_mirror_and_serves_a_load_balancer(setup):
    cluster, _, _ = setup
    hosts = os.path.join(cluster.data, "containerd", "certs.d", "docker.io", "hosts.toml")
    assert 'server = "https://registry-1.docker.io"' in open(hosts).read()
    cluster.kubectl("create", "deployment", "web", "--image=busybox:1.36", "--", "httpd", "-f", "-p", "8080", "-h", "/www")
    pod = ready_pods(cluster, "app=web", 1, timeout=90)[0]
    assert pod["status"]["containerStatuses"][0]["imageID"].startswith("docker.io/library/busybox@sha256:")
    events = event_messages(cluster, pod["metadata"]["name"])
    assert 'Pulling: Pulling image "busybox:1.36"' in events and 'Pulled: Successfully pulled image "busybox:1.36"' in events
    cluster.kubectl("expose", "deployment", "web", "--port", "80", "--target-port", "8080", "--type", "LoadBalancer")
    ip = wait_for("an external IP", lambda: (cluster.get("service", "web")["status"].get("loadBalancer", {})
                                             .get("ingress") or [{}])[0].get("ip"))
    body = wait_for("the page", lambda: subprocess.run(["curl", "-s", "-m", "2", f"http://{ip}/"],
                                                      capture_output=True, text=True).stdout or None, timeout=30)
    assert body == "hello from busybox\n"


def test_a_missing_tag_backs_off_with_the_registrys_error(setup):
    # Asked of the local registry by name: a docker.io image the mirror lacks would fall
    # back to the real docker.io, which a test never reaches for.
    cluster, mirror, _ = setup
    image = f"{mirror.host}/library/busybox:0.0.0-none"
    cluster.kubectl("run", "nosuch", f"--image={image}", "--restart=Never")
    def backoff():
        s = cluster.get("pod", "nosuch")["status"].get("containerStatuses", [{}])[0].get("state", {}).get("waiting", {})
        return s if s.get("reason") == "ImagePullBackOff" else None
    w = wait_for("ImagePullBackOff", backoff, timeout=90)
    assert w["message"] == f'Back-off pulling image "{image}"'
    assert "not found" in event_messages(cluster, "nosuch")


def test_a_private_image_needs_the_pull_secret(setup):
    cluster, _, private = setup
    image = f"{private.host}/team/busybox:1"
    cluster.kubectl("run", "nocreds", f"--image={image}", "--restart=Never", "--", "true")
    def failed():
        s = cluster.get("pod", "nocreds")["status"].get("containerStatuses", [{}])[0].get("state", {}).get("waiting", {})
        return s if s.get("reason") in ("ErrImagePull", "ImagePullBackOff") else None
    wait_for("a pull refused", failed, timeout=60)
    assert "401 Unauthorized" in event_messages(cluster, "nocreds")
    cluster.kubectl("create", "secret", "docker-registry", "regcred", f"--docker-server={private.host}",
                    "--docker-username=puller", "--docker-password=s3cret")
    cluster.kubectl("run", "withcreds", f"--image={image}", "--restart=Never",
                    "--overrides", '{"spec": {"imagePullSecrets": [{"name": "regcred"}]}}', "--", "echo", "pulled")
    try:
        wait_for("withcreds done", lambda: cluster.get("pod", "withcreds")["status"].get("phase") == "Succeeded",
                 timeout=60)
    except AssertionError as e:
        raise AssertionError(f"{e}\n{event_messages(cluster, 'withcreds')}")
    assert cluster.kubectl("logs", "withcreds").stdout == "pulled\n"
