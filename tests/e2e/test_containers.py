"""Pods with real images on containerd: an image imported air-gapped, served through a
LoadBalancer, exec'd into, logged, isolated from the host; and a missing image."""
import json
import os
import subprocess

import pytest

import glob

from cluster import BIN, pod_cgroups, running_cluster, ready_pods, sh, wait_for
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
    cluster.kubectl("run", "ghost", "--image=127.0.0.1:9/nothing-here:1", "--restart=Never")
    def waiting():
        s = cluster.get("pod", "ghost")["status"].get("containerStatuses", [{}])[0].get("state", {}).get("waiting", {})
        return s if s.get("reason") in ("ErrImagePull", "ImagePullBackOff") else None
    w = wait_for("ghost waiting on its image", waiting, timeout=60)
    assert "127.0.0.1:9/nothing-here:1" in w.get("message", "")
    events = cluster.kubectl("get", "events", "--field-selector", "involvedObject.name=ghost").stdout
    assert "Pulling" in events and "Failed" in events


# Streams: kubectl → API server (WebSocket) → the runtime's streaming server (SPDY).

def web_pod(cluster):
    return ready_pods(cluster, "app=web", 2)[0]["metadata"]["name"]


def test_exec_passes_stdin_through_to_its_end(cluster, busybox):
    data = "x" * 300_000
    r = cluster.kubectl("exec", "-i", web_pod(cluster), "--", "wc", "-c", input=data)
    assert r.stdout.strip() == "300000"


def test_exec_with_a_terminal_has_its_size_and_exit_code(cluster, busybox):
    # `script` gives kubectl a terminal of its own, as a user's shell would. The size kubectl
    # sends follows the start of the command, as on any kubelet: the command waits for it.
    inner = f"stty cols 91 rows 27; kubectl exec -it {web_pod(cluster)} -- sh -c 'sleep 1; stty size; exit 5'"
    r = subprocess.run(["script", "-qec", inner, "/dev/null"], capture_output=True, text=True, env=cluster.env,
                       timeout=60, stdin=subprocess.DEVNULL)
    assert "27 91" in r.stdout
    assert r.returncode == 5 and "command terminated with exit code 5" in r.stdout


def test_cp_copies_into_a_pod_and_back(cluster, busybox):
    pod = web_pod(cluster)
    src = os.path.join(cluster.tmp, "payload.bin")
    payload = os.urandom(1_500_000)
    with open(src, "wb") as f:
        f.write(payload)
    cluster.kubectl("cp", src, f"{pod}:/tmp/payload.bin")
    assert cluster.kubectl("exec", pod, "--", "wc", "-c", "/tmp/payload.bin").stdout.split()[0] == "1500000"
    back = os.path.join(cluster.tmp, "back.bin")
    cluster.kubectl("cp", f"{pod}:/tmp/payload.bin", back)
    with open(back, "rb") as f:
        assert f.read() == payload


def port_forward(cluster, target, remote):
    """Starts `kubectl port-forward TARGET :REMOTE`; returns the process and its local port."""
    p = subprocess.Popen(["kubectl", "port-forward", target, f":{remote}"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, env=cluster.env)
    line = p.stdout.readline()  # "Forwarding from 127.0.0.1:PORT -> TARGETPORT"
    assert line.startswith("Forwarding from 127.0.0.1:"), line + p.stderr.read() if p.poll() is not None else line
    return p, int(line.split("127.0.0.1:")[1].split()[0])


@pytest.mark.parametrize("target", ["service/web", "pod"])
def test_port_forward_reaches_the_pod(cluster, busybox, target):
    target = f"pod/{web_pod(cluster)}" if target == "pod" else target
    p, port = port_forward(cluster, target, 80 if target.startswith("service") else 8080)
    try:
        for _ in range(3):  # each request is a new connection: a new stream pair
            r = subprocess.run(["curl", "-s", "-m", "5", f"http://127.0.0.1:{port}/"], capture_output=True, text=True)
            assert r.stdout == "hello from busybox\n"
    finally:
        p.terminate()
        p.wait(timeout=10)


def test_run_interactive_and_attach(cluster, busybox):
    r = cluster.kubectl("run", "asker", "-i", "--rm", "--restart=Never", f"--image={busybox}", "--", "sh",
                        input="echo answer $((6*7))\n", timeout=90)
    assert "answer 42" in r.stdout
    wait_for("asker removed", lambda: cluster.kubectl("get", "pod", "asker", check=False).returncode != 0)
    cluster.kubectl("run", "ticker", f"--image={busybox}", "--restart=Never", "--",
                    "sh", "-c", "i=0; while true; do i=$((i+1)); echo tick $i; sleep 0.3; done")
    ready_pods(cluster, "run=ticker", 1)
    try:
        r = subprocess.run(["kubectl", "attach", "ticker"], capture_output=True, text=True, env=cluster.env, timeout=3)
        out = r.stdout
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode()
    ticks = [int(l.split()[1]) for l in out.splitlines() if l.startswith("tick ")]
    # Output as it is written, from now on (attach shows no history).
    assert len(ticks) >= 3 and ticks == list(range(ticks[0], ticks[0] + len(ticks)))


def test_the_api_servers_proxy_reaches_pods_and_services(cluster, busybox):
    pod = web_pod(cluster)
    raw = lambda path: cluster.kubectl("get", "--raw", path, check=False)
    assert raw("/api/v1/namespaces/default/services/web:80/proxy/").stdout == "hello from busybox\n"
    assert raw("/api/v1/namespaces/default/services/http:web:80/proxy/index.html").stdout == "hello from busybox\n"
    assert raw(f"/api/v1/namespaces/default/pods/{pod}:8080/proxy/index.html").stdout == "hello from busybox\n"
    missing = raw(f"/api/v1/namespaces/default/pods/{pod}:8080/proxy/nothing-here")
    assert missing.returncode != 0 and "NotFound" in missing.stderr
    cluster.kubectl("create", "service", "clusterip", "lonely", "--tcp=80:8080")
    r = raw("/api/v1/namespaces/default/services/lonely:80/proxy/")
    assert r.returncode != 0 and 'no endpoints available for service "lonely"' in r.stderr
    assert "Kubernetes control plane is running at" in cluster.kubectl("cluster-info").stdout


# Resources and security contexts, as kubelet applies them.

def pod_manifest(name, image, command, resources=None, pod_security=None, security=None, restart="Never"):
    container = {"name": "c", "image": image, "command": command}
    if resources:
        container["resources"] = resources
    if security:
        container["securityContext"] = security
    spec = {"restartPolicy": restart, "containers": [container]}
    if pod_security:
        spec["securityContext"] = pod_security
    return json.dumps({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": spec})


def container_cgroup_value(cluster, uid, hierarchy, file):
    for d in pod_cgroups(cluster, uid):
        if f"/{hierarchy}/" in d:
            values = [open(f).read().strip() for f in glob.glob(os.path.join(d, "*", file))]
            values = [v for v in values if v not in ("-1", "9223372036854771712")]
            return values
    return []


def test_limits_are_cgroup_limits_and_the_qos_class_is_upstreams(cluster, busybox):
    cluster.apply(pod_manifest("sized", busybox, ["sleep", "3600"],
                               resources={"limits": {"cpu": "500m", "memory": "64Mi"}}))
    cluster.apply(pod_manifest("burst", busybox, ["sleep", "3600"], resources={"requests": {"cpu": "100m"}}))
    cluster.apply(pod_manifest("free", busybox, ["sleep", "3600"]))
    sized = cluster.get("pod", "sized")
    assert sized["spec"]["containers"][0]["resources"]["requests"] == {"cpu": "500m", "memory": "64Mi"}
    assert sized["status"]["qosClass"] == "Guaranteed"
    assert cluster.get("pod", "burst")["status"]["qosClass"] == "Burstable"
    assert cluster.get("pod", "free")["status"]["qosClass"] == "BestEffort"
    wait_for("sized running", lambda: cluster.get("pod", "sized")["status"].get("phase") == "Running")
    uid = sized["metadata"]["uid"]
    assert "67108864" in container_cgroup_value(cluster, uid, "memory", "memory.limit_in_bytes")
    assert "50000" in container_cgroup_value(cluster, uid, "cpu", "cpu.cfs_quota_us")
    # The agent's status keeps the class the API server computed.
    assert cluster.get("pod", "sized")["status"]["qosClass"] == "Guaranteed"


def test_a_container_over_its_memory_limit_is_oom_killed(cluster, busybox):
    cluster.apply(pod_manifest("hog", busybox, ["sh", "-c", "x=$(head -c 100000000 /dev/zero | tr '\\0' a); echo ${#x}"],
                               resources={"limits": {"memory": "16Mi"}}))
    def terminated():
        s = cluster.get("pod", "hog")["status"].get("containerStatuses", [{}])[0].get("state", {})
        return s.get("terminated")
    t = wait_for("hog terminated", terminated, timeout=60)
    assert t["reason"] == "OOMKilled" and t["exitCode"] == 137


@pytest.mark.parametrize("resources,message", [
    ({"limits": {"cpu": "lots"}}, "quantities must match the regular expression"),
    ({"requests": {"cpu": "2"}, "limits": {"cpu": "1"}}, "must be less than or equal to cpu limit of 1"),
    ({"requests": {"memory": "-1Mi"}}, "must be greater than or equal to 0"),
])
def test_bad_resources_are_refused_and_nothing_is_stored(cluster, busybox, resources, message):
    r = cluster.kubectl("apply", "-f", "-", input=pod_manifest("badres", busybox, ["true"], resources=resources),
                        check=False)
    assert r.returncode != 0 and message in r.stderr and "Invalid" in r.stderr
    assert cluster.kubectl("get", "pod", "badres", check=False).returncode != 0


def test_security_contexts_set_user_group_filesystem_and_privileges(cluster, busybox):
    script = "id; touch /probe 2>&1; grep -E '^(CapEff|NoNewPrivs|Seccomp):' /proc/self/status"
    cluster.apply(pod_manifest("locked", busybox, ["sh", "-c", script],
                               pod_security={"runAsUser": 1000, "runAsGroup": 3000,
                                             "seccompProfile": {"type": "RuntimeDefault"}},
                               security={"readOnlyRootFilesystem": True, "allowPrivilegeEscalation": False,
                                         "capabilities": {"drop": ["ALL"]}}))
    wait_for("locked done", lambda: cluster.get("pod", "locked")["status"].get("phase") in ("Succeeded", "Failed"))
    out = cluster.kubectl("logs", "locked").stdout
    assert "uid=1000 gid=3000" in out
    assert "Read-only file system" in out
    assert "CapEff:\t0000000000000000" in out and "NoNewPrivs:\t1" in out and "Seccomp:\t2" in out


def test_run_as_non_root_refuses_a_root_image_with_upstreams_message(cluster, busybox):
    cluster.apply(pod_manifest("rootless", busybox, ["true"], pod_security={"runAsNonRoot": True}))
    uid = cluster.get("pod", "rootless")["metadata"]["uid"]
    def waiting():
        s = cluster.get("pod", "rootless")["status"].get("containerStatuses", [{}])[0].get("state", {}).get("waiting")
        return s if s and s.get("reason") == "CreateContainerConfigError" else None
    w = wait_for("rootless refused", waiting)
    assert w["message"] == f'container has runAsNonRoot and image will run as root (pod: "rootless_default({uid})", container: c)'
    # With a non-root user given, the same image runs.
    cluster.apply(pod_manifest("rootless2", busybox, ["id", "-u"], pod_security={"runAsNonRoot": True, "runAsUser": 4242}))
    wait_for("rootless2 done", lambda: cluster.get("pod", "rootless2")["status"].get("phase") == "Succeeded")
    assert cluster.kubectl("logs", "rootless2").stdout.strip() == "4242"


def test_the_termination_message_comes_from_its_file_or_the_logs_tail(cluster, busybox):
    cluster.apply(pod_manifest("why", busybox, ["sh", "-c", "echo 'disk full' > /dev/termination-log; exit 3"]))
    manifest = json.loads(pod_manifest("tail", busybox, ["sh", "-c", "echo first; echo last words; exit 4"]))
    manifest["spec"]["containers"][0]["terminationMessagePolicy"] = "FallbackToLogsOnError"
    cluster.apply(json.dumps(manifest))
    def terminated(name):
        s = cluster.get("pod", name)["status"].get("containerStatuses", [{}])[0].get("state", {})
        return s.get("terminated")
    assert wait_for("why ended", lambda: terminated("why"))["message"] == "disk full\n"
    t = wait_for("tail ended", lambda: terminated("tail"))
    assert t["exitCode"] == 4 and t["message"] == "first\nlast words"


# Lifecycle hooks and sidecars, as kubelet runs them.

def hooked_pod(name, image, containers, init=None, restart="Always", grace=None):
    spec = {"restartPolicy": restart, "containers": containers}
    if init:
        spec["initContainers"] = init
    if grace is not None:
        spec["terminationGracePeriodSeconds"] = grace
    for c in containers + (init or []):
        c.setdefault("image", image)
    return json.dumps({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": spec})


def container_status(cluster, pod, name, init=False):
    key = "initContainerStatuses" if init else "containerStatuses"
    return next((c for c in cluster.get("pod", pod)["status"].get(key, []) if c["name"] == name), {})


def test_post_start_finishes_before_the_container_counts_as_running_and_before_the_next_starts(cluster, busybox):
    cluster.apply(hooked_pod("poststart", busybox, [
        {"name": "a", "command": ["sleep", "3600"],
         "lifecycle": {"postStart": {"exec": {"command": ["sh", "-c", "sleep 3; echo done > /tmp/hook"]}}}},
        {"name": "b", "command": ["sleep", "3600"]},
    ]))
    wait_for("a running", lambda: "running" in container_status(cluster, "poststart", "a").get("state", {}), timeout=60)
    # Running is reported only once the hook has finished: its file is there.
    assert cluster.kubectl("exec", "poststart", "-c", "a", "--", "cat", "/tmp/hook").stdout == "done\n"
    wait_for("b running", lambda: "running" in container_status(cluster, "poststart", "b").get("state", {}))
    a = container_status(cluster, "poststart", "a")["state"]["running"]["startedAt"]
    b = container_status(cluster, "poststart", "b")["state"]["running"]["startedAt"]
    import datetime
    t = lambda s: datetime.datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()
    assert t(b) - t(a) >= 3, f"b started {t(b) - t(a)} s after a, before a's postStart hook ended"


def test_a_failing_post_start_hook_kills_the_container(cluster, busybox):
    cluster.apply(hooked_pod("badhook", busybox, [
        {"name": "c", "command": ["sleep", "3600"],
         "lifecycle": {"postStart": {"exec": {"command": ["sh", "-c", "echo broken; exit 7"]}}}},
    ], restart="Never", grace=5))
    wait_for("badhook failed", lambda: cluster.get("pod", "badhook")["status"].get("phase") == "Failed", timeout=60)
    state = container_status(cluster, "badhook", "c")["state"]
    assert "terminated" in state and state["terminated"]["exitCode"] != 0
    events = cluster.kubectl("get", "events", "--field-selector", "involvedObject.name=badhook",
                             "-o", "jsonpath={range .items[*]}{.reason}={.message};{end}").stdout
    assert "FailedPostStartHook=PostStartHook failed;" in events
    assert "Killing=FailedPostStartHook;" in events


def test_pre_stop_runs_before_sigterm(cluster, busybox):
    cluster.apply(hooked_pod("prestop", busybox, [
        {"name": "c", "command": ["sh", "-c", "trap 'echo TERM; exit 0' TERM; echo started; while true; do sleep 1; done"],
         "lifecycle": {"preStop": {"exec": {"command": ["sh", "-c", "echo prestop > /proc/1/fd/1; sleep 2"]}}}},
    ], grace=20))
    wait_for("prestop running", lambda: "running" in container_status(cluster, "prestop", "c").get("state", {}))
    wait_for("started logged", lambda: "started" in cluster.kubectl("logs", "prestop").stdout)
    follow = subprocess.Popen(["kubectl", "logs", "-f", "prestop"], stdout=subprocess.PIPE, text=True, env=cluster.env)
    try:
        cluster.kubectl("delete", "pod", "prestop", "--wait=true", timeout=60)
        out, _ = follow.communicate(timeout=20)
    finally:
        follow.kill()
    lines = out.split()
    assert "prestop" in lines and "TERM" in lines, out
    assert lines.index("prestop") < lines.index("TERM"), out


def test_a_sidecar_serves_the_main_container_and_stops_when_the_pod_is_done(cluster, busybox):
    sidecar = {"name": "side", "restartPolicy": "Always",
               "command": ["sh", "-c", "mkdir -p /tmp/www && echo sidecar-ok > /tmp/www/index.html && "
                                       "exec httpd -f -p 8080 -h /tmp/www"],
               "startupProbe": {"tcpSocket": {"port": 8080}, "periodSeconds": 1}}
    # The main container runs only after the sidecar has started: the request cannot be refused.
    cluster.apply(hooked_pod("withside", busybox, [
        {"name": "main", "command": ["wget", "-qO-", "http://127.0.0.1:8080/"]},
    ], init=[{"name": "setup", "command": ["true"]}, sidecar], restart="Never", grace=5))
    wait_for("withside done", lambda: cluster.get("pod", "withside")["status"].get("phase") in ("Succeeded", "Failed"),
             timeout=90)
    assert cluster.get("pod", "withside")["status"]["phase"] == "Succeeded"
    assert cluster.kubectl("logs", "withside", "-c", "main").stdout == "sidecar-ok\n"
    wait_for("sidecar stopped", lambda: "terminated" in container_status(cluster, "withside", "side", init=True)
             .get("state", {}), timeout=30)
    # A long-running pod counts its sidecar in READY.
    cluster.apply(hooked_pod("sidecarred", busybox, [{"name": "main", "command": ["sleep", "3600"]}],
                             init=[dict(sidecar)]))
    wait_for("2/2 ready", lambda: cluster.kubectl("get", "pod", "sidecarred", "--no-headers").stdout.split()[1] == "2/2",
             timeout=60)
    assert cluster.get("pod", "sidecarred")["status"]["phase"] == "Running"


def test_a_host_network_pod_lives_in_its_nodes_namespace(cluster, busybox):
    cluster.apply(hooked_pod("hostnet", busybox, [
        {"name": "c", "command": ["sh", "-c", "mkdir -p /tmp/w && hostname > /tmp/w/index.html && "
                                              "exec httpd -f -p 18080 -h /tmp/w"]},
    ]).replace('"restartPolicy"', '"hostNetwork": true, "restartPolicy"'))
    wait_for("hostnet running", lambda: "running" in container_status(cluster, "hostnet", "c").get("state", {}))
    pod = cluster.get("pod", "hostnet")
    node = pod["spec"]["nodeName"]
    node_ip = next(a["address"] for a in cluster.get("node", node)["status"]["addresses"] if a["type"] == "InternalIP")
    assert pod["status"]["podIP"] == pod["status"]["hostIP"] == node_ip
    # The pod is named after its node and sees the node's interfaces, not the host's.
    assert cluster.kubectl("exec", "hostnet", "--", "hostname").stdout.strip() == node
    assert cluster.kubectl("exec", "hostnet", "--", "cat", "/etc/hostname").stdout.strip() == node
    names = lambda text: sorted(l.split(":")[0].strip() for l in text.splitlines() if ":" in l and "|" not in l)
    inside = names(cluster.kubectl("exec", "hostnet", "--", "cat", "/proc/net/dev").stdout)
    namespace = f"swl-{cluster.name}-{node}"
    assert inside == names(sh("ip", "netns", "exec", namespace, "cat", "/proc/net/dev").stdout)
    assert inside != names(open("/proc/net/dev").read())
    hosts = cluster.kubectl("exec", "hostnet", "--", "cat", "/etc/hosts").stdout
    assert hosts.startswith("# Kubernetes-managed hosts file (host network).") and f"{node_ip}\t{node}" in hosts
    # Its port is the node's: the host reaches it at the node's address.
    assert wait_for("served", lambda: sh("curl", "-s", "-m", "2", f"http://{node_ip}:18080/", check=False).stdout) \
        == node + "\n"


def test_grpc_probes_call_the_health_service(cluster):
    from cluster import AGNHOST
    cluster.apply(json.dumps({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "grpc"}, "spec": {"containers": [{
        "name": "c", "image": AGNHOST, "args": ["grpc-health-checking", "--port", "5000", "--http-port", "8080"],
        "readinessProbe": {"grpc": {"port": 5000}, "periodSeconds": 1, "failureThreshold": 1}}]}}))
    ready = lambda: container_status(cluster, "grpc", "c").get("ready")
    wait_for("grpc ready", ready, timeout=60)
    cluster.kubectl("exec", "grpc", "--", "curl", "-s", "http://127.0.0.1:8080/make-not-serving")
    wait_for("grpc unready", lambda: ready() is False, timeout=30)
    events = cluster.kubectl("get", "events", "--field-selector", "involvedObject.name=grpc",
                             "-o", "jsonpath={range .items[*]}{.message};{end}").stdout
    assert 'Readiness probe failed: service unhealthy (responded with "NOT_SERVING")' in events
    cluster.kubectl("exec", "grpc", "--", "curl", "-s", "http://127.0.0.1:8080/make-serving")
    wait_for("grpc ready again", ready, timeout=30)


def test_env_comes_from_config_maps_and_secrets_and_waits_for_them(cluster, busybox):
    cluster.kubectl("create", "configmap", "appcfg", "--from-literal=mode=fast", "--from-literal=host=db")
    cluster.kubectl("create", "secret", "generic", "appcreds", "--from-literal=password=s3cr3t")
    manifest = json.loads(pod_manifest("envy", busybox, ["sh", "-c", "env | sort"]))
    manifest["spec"]["containers"][0]["envFrom"] = [{"configMapRef": {"name": "appcfg"}, "prefix": "CFG_"},
                                                    {"secretRef": {"name": "appcreds"}}]
    manifest["spec"]["containers"][0]["env"] = [
        {"name": "MODE", "valueFrom": {"configMapKeyRef": {"name": "appcfg", "key": "mode"}}},
        {"name": "LATE", "valueFrom": {"configMapKeyRef": {"name": "latecfg", "key": "k"}}}]
    cluster.apply(json.dumps(manifest))
    def waiting():
        s = container_status(cluster, "envy", "c").get("state", {}).get("waiting")
        return s if s and s.get("reason") == "CreateContainerConfigError" else None
    assert wait_for("envy waits for latecfg", waiting)["message"] == 'configmap "latecfg" not found'
    cluster.kubectl("create", "configmap", "latecfg", "--from-literal=k=here")
    wait_for("envy done", lambda: cluster.get("pod", "envy")["status"].get("phase") == "Succeeded", timeout=60)
    out = cluster.kubectl("logs", "envy").stdout.splitlines()
    for line in ["CFG_host=db", "CFG_mode=fast", "MODE=fast", "password=s3cr3t", "LATE=here"]:
        assert line in out, out


def test_volumes_give_files_that_follow_their_objects(cluster, busybox):
    cluster.kubectl("create", "configmap", "webcfg", "--from-literal=greeting=hello", "--from-literal=color=blue")
    cluster.kubectl("create", "secret", "generic", "websecret", "--from-literal=token=t0ps3cret")
    script = ("echo shared > /scratch/note; while true; do sleep 1; done")
    manifest = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "vols", "labels": {"app": "vols"}}, "spec": {
        "containers": [
            {"name": "main", "image": busybox, "command": ["sh", "-c", script], "volumeMounts": [
                {"name": "cfg", "mountPath": "/etc/cfg"},
                {"name": "cfg", "mountPath": "/etc/greeting", "subPath": "greeting"},
                {"name": "sec", "mountPath": "/etc/sec", "readOnly": True},
                {"name": "scratch", "mountPath": "/scratch"},
                {"name": "info", "mountPath": "/etc/info"},
                {"name": "mem", "mountPath": "/mem"}]},
            {"name": "peer", "image": busybox, "command": ["sleep", "3600"],
             "volumeMounts": [{"name": "scratch", "mountPath": "/shared"}]}],
        "volumes": [
            {"name": "cfg", "configMap": {"name": "webcfg"}},
            {"name": "sec", "secret": {"secretName": "websecret", "defaultMode": 0o400}},
            {"name": "scratch", "emptyDir": {}},
            {"name": "mem", "emptyDir": {"medium": "Memory", "sizeLimit": "8Mi"}},
            {"name": "info", "downwardAPI": {"items": [{"path": "labels", "fieldRef": {"fieldPath": "metadata.labels"}}]}}]}}
    cluster.apply(json.dumps(manifest))
    wait_for("vols running", lambda: all("running" in container_status(cluster, "vols", c).get("state", {})
                                         for c in ("main", "peer")), timeout=60)
    run = lambda c, *cmd: cluster.kubectl("exec", "vols", "-c", c, "--", *cmd).stdout
    assert run("main", "cat", "/etc/cfg/greeting") == "hello"
    assert run("main", "cat", "/etc/greeting") == "hello"
    assert run("main", "cat", "/etc/sec/token") == "t0ps3cret"
    assert "Read-only file system" in cluster.kubectl("exec", "vols", "-c", "main", "--", "sh", "-c",
                                                      "touch /etc/sec/x 2>&1", check=False).stdout
    assert run("main", "cat", "/etc/info/labels") == 'app="vols"'
    assert wait_for("shared file", lambda: cluster.kubectl("exec", "vols", "-c", "peer", "--", "cat", "/shared/note",
                                                           check=False).stdout) == "shared\n"
    assert "tmpfs" in run("main", "sh", "-c", "grep ' /mem ' /proc/mounts")
    # An edit of the ConfigMap reaches the mounted directory (not the subPath file), whole.
    cluster.kubectl("patch", "configmap", "webcfg", "-p", '{"data":{"greeting":"bonjour","color":"red"}}')
    wait_for("updated", lambda: run("main", "cat", "/etc/cfg/greeting") == "bonjour", timeout=30)
    assert run("main", "cat", "/etc/cfg/color") == "red"
    assert run("main", "cat", "/etc/greeting") == "hello"
    assert "greeting -> ..data/greeting" in run("main", "ls", "-l", "/etc/cfg/")


def test_a_missing_config_map_volume_waits_with_failed_mount(cluster, busybox):
    manifest = json.loads(pod_manifest("latevol", busybox, ["cat", "/etc/late/k"]))
    manifest["spec"]["containers"][0]["volumeMounts"] = [{"name": "late", "mountPath": "/etc/late"}]
    manifest["spec"]["volumes"] = [{"name": "late", "configMap": {"name": "latevolcfg"}}]
    cluster.apply(json.dumps(manifest))
    def failed_mount():
        return cluster.kubectl("get", "events", "--field-selector", "involvedObject.name=latevol,reason=FailedMount",
                               "-o", "jsonpath={range .items[*]}{.message};{end}").stdout
    assert 'MountVolume.SetUp failed for volume "late" : configmap "latevolcfg" not found' in \
        wait_for("FailedMount", failed_mount)
    assert container_status(cluster, "latevol", "c")["state"]["waiting"]["reason"] == "ContainerCreating"
    cluster.kubectl("create", "configmap", "latevolcfg", "--from-literal=k=arrived")
    wait_for("latevol done", lambda: cluster.get("pod", "latevol")["status"].get("phase") == "Succeeded", timeout=60)
    assert cluster.kubectl("logs", "latevol").stdout == "arrived"


def test_a_host_port_reaches_the_pod_at_its_nodes_address(cluster, busybox):
    manifest = json.loads(pod_manifest("hostported", busybox, ["sh", "-c", "mkdir -p /tmp/w && echo via-host-port > "
                                                               "/tmp/w/index.html && exec httpd -f -p 8080 -h /tmp/w"]))
    manifest["spec"]["containers"][0]["ports"] = [{"containerPort": 8080, "hostPort": 18081}]
    cluster.apply(json.dumps(manifest))
    wait_for("hostported running", lambda: "running" in container_status(cluster, "hostported", "c").get("state", {}))
    pod = cluster.get("pod", "hostported")
    node_ip, node = pod["status"]["hostIP"], pod["spec"]["nodeName"]
    assert wait_for("served", lambda: sh("curl", "-s", "-m", "2", f"http://{node_ip}:18081/", check=False).stdout) \
        == "via-host-port\n"
    namespace = f"swl-{cluster.name}-{node}"
    assert "swiftlet-hostport-" in sh("ip", "netns", "exec", namespace, "nft", "list", "tables").stdout
    cluster.kubectl("delete", "pod", "hostported", "--grace-period=1")
    assert "swiftlet-hostport-" not in sh("ip", "netns", "exec", namespace, "nft", "list", "tables").stdout
