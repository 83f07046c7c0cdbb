"""Runs a Markdown walkthrough as a test: every ```console block's `$ ` commands are executed,
in order, in one bash session against a cluster of the test's own, and each command's output
is compared with the output written under it.

The document shows a default cluster (`swiftlet up` with its default name and ranges). The
runner gives the session a `swiftlet` function that adds the test cluster's private data
directory, name, port and ranges, translates the document's addresses and names into the
test cluster's in commands and back in output, and compares after masking what differs on
every run (generated name suffixes, pod and cluster IPs, ephemeral and node ports, ages,
times) — line order ignored, spacing collapsed. A command that changes nothing (`kubectl
get`, `curl`, `dig` …) is retried until it matches, for up to 60 s, since the cluster
converges asynchronously. A block opened with ```console varies runs but is not compared.

`SWIFTLET_UPDATE_WALKTHROUGH=1` writes the real output into the document instead (in the
document's addresses): review the diff.
"""
import ipaddress
import os
import re
import select
import signal
import subprocess
import time
import uuid

UPDATE = os.environ.get("SWIFTLET_UPDATE_WALKTHROUGH") == "1"


class Command:
    def __init__(self, text, expected, check):
        self.text = text          # as written, possibly several lines
        self.expected = expected  # list of output lines as written
        self.check = check


def parse(markdown):
    """[(block start line, [Command])] for every ```console block."""
    lines = markdown.split("\n")
    blocks, i = [], 0
    while i < len(lines):
        m = re.match(r"^```console(.*)$", lines[i])
        if not m:
            i += 1
            continue
        check = "varies" not in m.group(1)
        start, i = i, i + 1
        cmds = []
        while i < len(lines) and lines[i] != "```":
            line = lines[i]
            if line.startswith("$ "):
                text = [line[2:]]
                heredoc = re.search(r"<<-?'?(\w+)'?", line)
                while text[-1].endswith("\\") and i + 1 < len(lines):
                    i += 1
                    text.append(lines[i])
                if heredoc:
                    end = heredoc.group(1)
                    while i + 1 < len(lines) and lines[i] != end:
                        i += 1
                        text.append(lines[i])
                cmds.append(Command("\n".join(text), [], check))
            elif cmds:
                cmds[-1].expected.append(line)
            i += 1
        blocks.append((start, cmds))
        i += 1
    return blocks


MUTATING = re.compile(r"\bkubectl\b.*\b(create|apply|expose|delete|label|annotate|patch|scale|run|rollout restart|set|replace)\b"
                      r"|\bswiftlet\b|&\s*$|>\s*/|\btouch\b|\brm\b|\bsleep\b|\bwait\b|^\w+=")


def masked(text, doc):
    """Lines with what differs between runs replaced, for comparison."""
    out = []
    for line in text.split("\n"):
        if line.startswith("Waiting for "):
            continue  # kubectl rollout status: progress lines come and go with timing
        line = re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", "<time>", line)
        line = re.sub(r"\b([a-z0-9]+(?:-[a-z0-9]+)*?)-[a-z0-9]{8,10}-[a-z0-9]{5}\b", r"\1-<pod>", line)
        line = re.sub(r"\b([a-z][a-z0-9]*(?:-[a-z0-9]+)*?)-[a-z0-9]{5}\b", r"\1-<id>", line)
        line = re.sub(r"\b10\.244\.\d+\.\d+\b", "<pod-ip>", line)
        line = re.sub(r"\b10\.(?:9[6-9]|10\d|11[01])\.\d+\.\d+\b",
                      lambda m: m.group(0) if m.group(0) in ("10.96.0.1", "10.96.0.10") else "<cluster-ip>", line)
        line = re.sub(r":\d{5}\b", ":<port>", line)
        line = re.sub(r"\b3[0-2]\d{3}\b", "<node-port>", line)
        line = re.sub(r"(?<![\w.])\d+(\.\d+)?(ms|s|m|h|d)(\d+(s|m|h))?\b", "<age>", line)
        line = re.sub(r"\[\s*<age>\]", "[<age>]", line)
        line = " ".join(line.split())
        if line:
            out.append(line)
    return sorted(out)


class Session:
    """One bash process that keeps variables and background jobs between commands."""

    def __init__(self, cluster, bin_path, workdir):
        self.c = cluster
        # (document, test) ranges of equal size: an address translates by its offset.
        self.ranges = [(ipaddress.ip_network(doc), ipaddress.ip_network(test)) for doc, test in (
            ("172.30.0.0/24", cluster.node_cidr), ("10.244.0.0/16", cluster.pod_cidr), ("10.96.0.0/12", cluster.service_cidr))]
        for doc, test in self.ranges:
            assert doc.prefixlen == test.prefixlen, f"the test cluster's {test} must be as large as the document's {doc}"
        # (document, test) names; longest first so names inside names translate whole.
        self.pairs = [
            ("swiftlet-swiftlet", f"swiftlet-{cluster.name}"),
            ("swl-swiftlet", f"swl-{cluster.name}"),
            ("/var/lib/swiftlet", cluster.data),
        ]
        # Only in output: the default cluster's context is `swiftlet`, and its name alone.
        self.output_pairs = [(f"context swiftlet-{cluster.name} ", "context swiftlet "), (cluster.name, "swiftlet")]
        up_args = " ".join(["--data-dir", cluster.data, "--name", cluster.name, "--port", str(cluster.port),
                            "--node-cidr", cluster.node_cidr, "--pod-cidr", cluster.pod_cidr,
                            "--service-cidr", cluster.service_cidr, "--dns-upstream", "none"])
        env = dict(cluster.env, PS1="", SWIFTLET_BIN=os.path.abspath(bin_path), TERM="dumb")
        self.proc = subprocess.Popen(["bash", "--noprofile", "--norc"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, env=env, cwd=workdir, start_new_session=True)
        self.send(f"""swiftlet() {{
  case "$1" in
    up) shift; "$SWIFTLET_BIN" up "$@" {up_args} ;;
    down) shift; "$SWIFTLET_BIN" down "$@" --data-dir {cluster.data} ;;
    *) "$SWIFTLET_BIN" "$@" ;;
  esac
}}""", 10)

    def translate(self, text, forward):
        def address(m):
            try:
                a = ipaddress.ip_address(m.group(0))
            except ValueError:
                return m.group(0)
            for doc, test in self.ranges:
                src, dst = (doc, test) if forward else (test, doc)
                if a in src:
                    return str(dst.network_address + (int(a) - int(src.network_address)))
            return m.group(0)
        text = re.sub(r"(?<![\d.])\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}(?![\d])", address, text)
        for doc, test in self.pairs:
            text = text.replace(doc, test) if forward else text.replace(test, doc)
        if not forward:
            for test, doc in self.output_pairs:
                text = text.replace(test, doc)
        return text

    def to_test(self, text):
        return self.translate(text, True)

    def to_doc(self, text):
        return self.translate(text, False)

    def send(self, command, timeout):
        marker = "__walkthrough_" + uuid.uuid4().hex
        self.proc.stdin.write(f"{command}\nprintf '\\n{marker} %s\\n' $?\n".encode())
        self.proc.stdin.flush()
        buf = b""
        deadline = time.time() + timeout
        while marker.encode() not in buf:
            left = deadline - time.time()
            if left <= 0:
                raise AssertionError(f"timed out after {timeout} s running:\n{command}\noutput so far:\n{buf.decode(errors='replace')}")
            ready, _, _ = select.select([self.proc.stdout], [], [], left)
            if ready:
                chunk = os.read(self.proc.stdout.fileno(), 65536)
                if not chunk:
                    raise AssertionError(f"the shell exited running:\n{command}\n{buf.decode(errors='replace')}")
                buf += chunk
        text, _, rest = buf.decode(errors="replace").rpartition(marker)
        # Wait for the rest of the marker line (the status).
        while "\n" not in rest:
            rest += os.read(self.proc.stdout.fileno(), 1024).decode(errors="replace")
        status = int(rest.split()[0])
        if text.endswith("\n"):
            text = text[:-1]  # the newline the marker added
        return text.rstrip("\n"), status

    def log_tail(self, lines=40):
        """The end of the cluster's log (a detached `swiftlet up` writes there), for failure messages."""
        path = os.path.join(self.c.data, "swiftlet.log")
        try:
            with open(path, errors="replace") as f:
                return f"--- last lines of {path}:\n" + "\n".join(f.read().split("\n")[-lines:])
        except OSError as e:
            return f"--- no cluster log: {e}"

    def close(self):
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


def run(path, session, timeout=420):
    """Runs every block; returns the document with real output when UPDATE is set."""
    markdown = open(path).read()
    lines = markdown.split("\n")
    blocks = parse(markdown)
    replacements = {}  # id(command) -> its real output
    history = []  # (command, output, status) of the commands run so far, for failure messages
    for start, cmds in blocks:
        for cmd in cmds:
            retry = cmd.check and not MUTATING.search(cmd.text) and not UPDATE
            deadline = time.time() + 60
            while True:
                output, status = session.send(session.to_test(cmd.text), timeout)
                actual = session.to_doc(output)
                if status != 0 and re.match(r"swiftlet\b", cmd.text):
                    # Not compared, but everything after it depends on it.
                    raise AssertionError(f"{os.path.basename(path)} line {start + 1}: $ {cmd.text}\n"
                                         f"failed (exit status {status}):\n{actual}\n{session.log_tail()}")
                if UPDATE or not cmd.check:
                    break
                want, got = masked("\n".join(cmd.expected), True), masked(actual, False)
                if want == got:
                    break
                if not retry or time.time() > deadline:
                    raise AssertionError(
                        f"{os.path.basename(path)} line {start + 1}: output of\n$ {cmd.text}\n"
                        f"differs from the document (exit status {status}).\n--- document\n"
                        + "\n".join(cmd.expected) + "\n--- actual\n" + actual
                        + "\n--- masked, document minus actual: " + repr(sorted(set(want) - set(got)))
                        + "\n--- masked, actual minus document: " + repr(sorted(set(got) - set(want)))
                        + "\n--- the commands before it:\n" + "\n".join(
                            f"$ {c} (exit status {s})\n{o}" for c, o, s in history[-3:])
                        + "\n" + session.log_tail())
                time.sleep(0.5)
            history.append((cmd.text, actual, status))
            if UPDATE:
                replacements[id(cmd)] = actual
    if not UPDATE:
        return None
    # Rebuild the document with each command followed by its real output.
    out, i = [], 0
    by_start = dict(blocks)
    while i < len(lines):
        if i in by_start:
            out.append(lines[i])
            for cmd in by_start[i]:
                out += ["$ " + cmd.text.split("\n")[0]] + cmd.text.split("\n")[1:]
                real = replacements.get(id(cmd), "\n".join(cmd.expected))
                if real:
                    out += real.split("\n")
            i += 1
            while lines[i] != "```":
                i += 1
            out.append("```")
            i += 1
        else:
            out.append(lines[i])
            i += 1
    return "\n".join(out)
