"""Image garbage collection as kubelet's: over the high threshold, images no container uses
(and older than the minimum age) are removed; those in use and the pause image stay, and what
could not be freed is a FreeDiskSpaceFailed event on the node."""
import os

import pytest

from cluster import AGNHOST, BIN, running_cluster, sh, wait_for
from images import available, busybox_archive

pytestmark = pytest.mark.skipif(not available(), reason="needs containerd and busybox-static (scripts/install-deps.sh)")


@pytest.fixture(scope="module")
def cluster():
    # Any disk use passes a 1% threshold: collection runs at once, and can never free enough.
    yield from running_cluster(1, extra=("--image-gc-high-threshold", "1", "--image-gc-low-threshold", "0",
                                         "--minimum-image-ttl-duration", "1s"))


def images(cluster):
    return sh(BIN, "images", "ls", "--data-dir", cluster.data).stdout


def test_unused_images_go_and_used_ones_stay(cluster):
    cluster.kubectl("run", "keeper", f"--image={AGNHOST}", "--", "pause")
    wait_for("keeper running", lambda: cluster.get("pod", "keeper")["status"].get("phase") == "Running", timeout=60)
    archive = busybox_archive(os.path.join(cluster.tmp, "busybox.tar"))
    sh(BIN, "images", "import", "--data-dir", cluster.data, archive, timeout=60)
    assert "swiftlet.local/busybox:1" in images(cluster)
    wait_for("busybox collected", lambda: "swiftlet.local/busybox:1" not in images(cluster), timeout=60)
    listing = images(cluster)
    assert "agnhost" in listing, listing
    assert "swiftlet.local/pause:1" in listing, listing
    events = cluster.kubectl("get", "events", "--field-selector", "involvedObject.kind=Node,reason=FreeDiskSpaceFailed",
                             "-o", "jsonpath={range .items[*]}{.message};{end}").stdout
    assert "Failed to garbage collect required amount of images. Attempted to free" in events
    assert cluster.get("pod", "keeper")["status"]["phase"] == "Running"
    # Swiftlet's own image, once unused, goes too, and is made again for the next pod.
    cluster.kubectl("delete", "pod", "keeper", "--grace-period=1")
    wait_for("agnhost collected", lambda: "agnhost" not in images(cluster), timeout=60)
    cluster.kubectl("run", "again", f"--image={AGNHOST}", "--", "pause")
    wait_for("again running", lambda: cluster.get("pod", "again")["status"].get("phase") == "Running", timeout=60)


def test_bad_thresholds_are_refused_with_kubelets_words(tmp_path):
    r = sh(BIN, "up", "--data-dir", str(tmp_path), "--image-gc-high-threshold", "50", "--image-gc-low-threshold", "60",
           check=False)
    assert r.returncode != 0
    assert "imageGCLowThresholdPercent (--image-gc-low-threshold) 60 must be less than imageGCHighThresholdPercent" \
        in r.stderr
