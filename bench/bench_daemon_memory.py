"""Daemon memory over many cycles: ``python -m bench.bench_daemon_memory [CYCLES]`` (default 200).

Runs ``newswatch daemon`` on the committed fixture-site cassette (replayed every cycle, no network) with
schedules of about a second, waits for CYCLES crawls (read from /metrics), and prints the process RSS
after the first crawl and at the end. Not a test: it prints figures.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from tests.conftest import ROOT
from tests.crawler.fixture_site import CASSETTE, FIXED_PORT, write_workspace
from tests.monitor.core.test_daemon import FAST
from tests.monitor.receiver import free_port


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def crawls(port: int) -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
            return int(json.loads(response.read())["crawls"])
    except OSError:
        return 0


def main() -> None:
    cycles = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    metrics = free_port()
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        config = write_workspace(folder, f"http://127.0.0.1:{FIXED_PORT}")
        extra = FAST.format(metrics=metrics, hook=free_port()).split("[[alerts.channels]]")[0]
        config.write_text(config.read_text(encoding="utf-8") + extra.replace("feeds_max_minutes = 0.1",
                                                                             "feeds_max_minutes = 0.02"),
                          encoding="utf-8")
        entry = "import sys; from monitor.cli.main import main; main()"
        newswatch = [sys.executable, "-c", entry, "--config", str(config)]
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        subprocess.run([*newswatch, "db", "upgrade"], check=True, env=env, cwd=folder, capture_output=True)
        daemon = subprocess.Popen([*newswatch, "daemon", "--replay", str(CASSETTE)], env=env, cwd=folder,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        started = time.monotonic()
        while crawls(metrics) < 1:
            time.sleep(0.2)
        first = rss_kib(daemon.pid)
        samples = [(1, first)]
        while (done := crawls(metrics)) < cycles:
            time.sleep(1)
            if done >= samples[-1][0] + 25:
                samples.append((done, rss_kib(daemon.pid)))
        last = rss_kib(daemon.pid)
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(60)
    print(f"{'crawls':>7} {'RSS MiB':>8}")
    for done, kib in [*samples, (cycles, last)]:
        print(f"{done:>7} {kib / 1024:>8.1f}")
    print(f"cycles {cycles} in {time.monotonic() - started:.0f} s; RSS first {first / 1024:.1f} MiB, "
          f"last {last / 1024:.1f} MiB, growth {(last - first) / 1024:+.1f} MiB ({(last / first - 1) * 100:+.1f} %)")


if __name__ == "__main__":
    main()
