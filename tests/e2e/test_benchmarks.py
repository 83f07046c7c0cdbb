"""The benchmarks still run and still measure what they claim, at a size that takes seconds.

Their figures are not judged here (timed assertions do not belong in tests); what is checked
is what a benchmark's reader relies on: every change is timed, the controllers write once
per change, and an interrupted benchmark leaves nothing behind."""
import os
import re
import signal
import time
import subprocess

import pytest

from conftest import BIN, BENCH_BIN


def run(*args, timeout=300):
    out = subprocess.run([BENCH_BIN, *args], capture_output=True, text=True, timeout=timeout)
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout


def test_the_shipped_binary_carries_no_benchmarks():
    help = subprocess.run([BIN, "--help"], capture_output=True, text=True, timeout=30).stdout
    assert "SUBCOMMANDS" in help and "bench" not in help, help
    assert subprocess.run([BIN, "bench", "api"], capture_output=True, text=True, timeout=30).returncode != 0
    listed = subprocess.run([BENCH_BIN, "--help"], capture_output=True, text=True, timeout=30).stdout
    for name in ["api", "endpoints", "pods", "proxy", "dns", "lb"]:
        assert re.search(r"^\s+%s\s" % name, listed, re.M), listed


def test_endpoints_benchmark_times_every_change_in_every_phase():
    out = run("endpoints", "--services", "20", "--pods-per-service", "4", "--rates", "50", "0")
    phases = [l for l in out.splitlines() if " flips | " in l and not l.startswith("phase:")]
    assert len(phases) == 2, out
    assert phases[0].startswith("50.00 per second") and phases[1].startswith("burst"), out
    for line in phases:
        assert "(20 samples)" in line, line
        assert "| 20 for 20 changes |" in line, line
    # The steady phase is judged against the target; the burst reports how soon all its changes were seen.
    assert re.search(r"\| target (met|missed)$", phases[0]), phases[0]
    assert re.search(r"\| all seen [\d.]+ s after the first write, \d+ changes a second$", phases[1]), phases[1]
    assert re.search(r"^steady rates: target (met|missed) at 50\.00 per second$", out, re.M), out


def test_endpoints_benchmark_refuses_more_phases_than_pods():
    out = subprocess.run([BENCH_BIN, "endpoints", "--pods-per-service", "3", "--rates", "1", "2", "3"],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode != 0
    assert "--rates takes 1 to 2 rates" in out.stderr


@pytest.mark.skipif(os.geteuid() != 0, reason="bench proxy needs root (network namespaces)")
def test_proxy_benchmark_data_path_answers_on_both_paths():
    out = run("proxy", "--data-path-only", "--services", "200", "--rounds", "1", "--seconds", "0.3")
    ratios = re.findall(r"pod to pod, (new connection per request|keep-alive requests): direct ([\d.]+) req/s.*"
                        r"ClusterIP ([\d.]+) req/s", out)
    assert [r[0] for r in ratios] == ["new connection per request", "keep-alive requests"], out
    for _, direct, service in ratios:
        assert float(direct) > 0 and float(service) > 0, out
    assert "first-connection latency" in out, out
    netns = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    assert "swl-bench-" not in netns, "the benchmark left its namespaces behind: " + netns


@pytest.mark.skipif(os.geteuid() != 0, reason="bench proxy needs root (network namespaces)")
def test_an_interrupted_benchmark_removes_its_namespaces():
    proc = subprocess.Popen([BENCH_BIN, "proxy", "--data-path-only", "--services", "200", "--rounds", "20", "--seconds", "1"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    mine = "swl-bench-%d" % proc.pid
    try:
        deadline = time.time() + 60
        while time.time() < deadline and mine + "-server" not in subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout:
            assert proc.poll() is None, proc.stderr.read()
            time.sleep(0.2)
        assert mine + "-server" in subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
        assert proc.returncode == -signal.SIGINT
        assert "interrupted" in proc.stderr.read()
        assert mine not in subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    finally:
        if proc.poll() is None:
            proc.kill()
        for ns in (mine + "-client", mine + "-server", mine):
            subprocess.run(["ip", "netns", "delete", ns], capture_output=True)
