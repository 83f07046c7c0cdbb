"""Test images built here, without the internet: an OCI image archive from the host's
busybox-static (Debian's package), as `swiftlet images import` takes it."""
import hashlib
import io
import json
import os
import tarfile

BUSYBOX = "/bin/busybox"
TOOLS = ["sh", "httpd", "cat", "ls", "sleep", "echo", "id", "hostname", "ps", "env", "wget", "grep", "tr", "true",
         "tar", "wc", "stty", "md5sum", "head", "dd", "touch"]


def _tar(entries):
    """entries: (name, kind, mode, data|target) → uncompressed tar bytes."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as t:
        for name, kind, mode, payload in entries:
            info = tarfile.TarInfo(name)
            info.mode = mode
            if kind == "dir":
                info.type = tarfile.DIRTYPE
                t.addfile(info)
            elif kind == "link":
                info.type = tarfile.SYMTYPE
                info.linkname = payload
                t.addfile(info)
            else:
                info.size = len(payload)
                t.addfile(info, io.BytesIO(payload))
    return buf.getvalue()


def busybox_archive(path, reference="swiftlet.local/busybox:1", index_html=b"hello from busybox\n"):
    entries = [("bin", "dir", 0o755, None), ("bin/busybox", "file", 0o755, open(BUSYBOX, "rb").read()),
               ("www", "dir", 0o755, None), ("www/index.html", "file", 0o644, index_html),
               ("tmp", "dir", 0o1777, None), ("etc", "dir", 0o755, None)]
    entries += [(f"bin/{t}", "link", 0o777, "busybox") for t in TOOLS]
    layer = _tar(entries)
    layer_digest = "sha256:" + hashlib.sha256(layer).hexdigest()
    config = json.dumps({"architecture": "amd64", "os": "linux",
                         "config": {"Cmd": ["sh"], "Env": ["PATH=/bin"], "WorkingDir": "/"},
                         "rootfs": {"type": "layers", "diff_ids": [layer_digest]}}).encode()
    config_digest = "sha256:" + hashlib.sha256(config).hexdigest()
    manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                           "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest,
                                      "size": len(config)},
                           "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": layer_digest,
                                       "size": len(layer)}]}).encode()
    manifest_digest = "sha256:" + hashlib.sha256(manifest).hexdigest()
    index = json.dumps({"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": manifest_digest, "size": len(manifest),
        "annotations": {"io.containerd.image.name": reference,
                        "org.opencontainers.image.ref.name": reference.rsplit(":", 1)[-1]}}]}).encode()
    blobs = [(d, b) for d, b in ((config_digest, config), (manifest_digest, manifest), (layer_digest, layer))]
    outer = [("oci-layout", "file", 0o644, b'{"imageLayoutVersion":"1.0.0"}'), ("index.json", "file", 0o644, index),
             ("blobs", "dir", 0o755, None), ("blobs/sha256", "dir", 0o755, None)]
    outer += [(f"blobs/sha256/{d[7:]}", "file", 0o644, b) for d, b in blobs]
    with open(path, "wb") as f:
        f.write(_tar(outer))
    return path


def available():
    return os.path.exists(BUSYBOX) and os.path.exists("/usr/bin/containerd")
