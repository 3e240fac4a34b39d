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
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import ROOT
from tests.crawler.fixture_site import CASSETTE, FIXED_PORT, write_workspace
from tests.monitor.daemon.test_daemon import FAST
from tests.monitor.receiver import free_port

WARM = 25  # crawls


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


@dataclass(frozen=True)
class DaemonMemory:
    """The daemon's RSS after its first crawl and after its last (``bench.bench_daemon_memory``)."""

    cycles: int
    first_kib: int
    last_kib: int
    seconds: float
    warm_kib: int = 0  # after the first 25 crawls (imports, caches and the allocator's arenas warm by then)

    @property
    def growth(self) -> float:
        return self.last_kib / self.first_kib - 1 if self.first_kib else 0.0

    @property
    def warm_growth(self) -> float | None:
        return self.last_kib / self.warm_kib - 1 if self.warm_kib else None



def _daemon(folder: Path, metrics: int) -> tuple[list[str], dict[str, str]]:
    config = write_workspace(folder, f"http://127.0.0.1:{FIXED_PORT}")
    extra = FAST.format(metrics=metrics, hook=free_port()).split("[[alerts.channels]]")[0]
    config.write_text(config.read_text(encoding="utf-8") + extra.replace("feeds_max_minutes = 0.1",
                                                                         "feeds_max_minutes = 0.02"),
                      encoding="utf-8")
    entry = "import sys; from newswatch.monitor.cli.main import main; main()"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return [sys.executable, "-c", entry, "--config", str(config)], env


def _alive(daemon: subprocess.Popen[bytes]) -> None:
    if daemon.poll() is not None:
        raise RuntimeError(f"the daemon exited with status {daemon.returncode}")


def measure(cycles: int = 200) -> tuple[DaemonMemory, list[tuple[int, int]]]:
    """Run the daemon until it has done ``cycles`` crawls; its RSS after the first and the last, and the
    (crawls, RSS KiB) samples taken every 25 crawls."""
    metrics = free_port()
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        newswatch, env = _daemon(folder, metrics)
        subprocess.run([*newswatch, "db", "upgrade"], check=True, env=env, cwd=folder, capture_output=True)
        daemon = subprocess.Popen([*newswatch, "daemon", "--replay", str(CASSETTE)], env=env, cwd=folder,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            started = time.monotonic()
            while crawls(metrics) < 1:
                _alive(daemon)
                time.sleep(0.2)
            first = rss_kib(daemon.pid)
            samples = [(1, first)]
            while (done := crawls(metrics)) < cycles:
                _alive(daemon)
                time.sleep(1)
                if done >= samples[-1][0] + WARM:
                    samples.append((done, rss_kib(daemon.pid)))
            last = rss_kib(daemon.pid)
            samples.append((cycles, last))
        finally:
            daemon.send_signal(signal.SIGTERM)
            daemon.wait(60)
    warm = next((kib for done, kib in samples[1:-1] if done >= WARM), 0)
    return DaemonMemory(cycles, first, last, time.monotonic() - started, warm), samples


def main() -> None:
    found, samples = measure(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
    print(f"{'crawls':>7} {'RSS MiB':>8}")
    for done, kib in samples:
        print(f"{done:>7} {kib / 1024:>8.1f}")
    print(f"cycles {found.cycles} in {found.seconds:.0f} s; RSS first {found.first_kib / 1024:.1f} MiB, "
          f"last {found.last_kib / 1024:.1f} MiB, growth {(found.last_kib - found.first_kib) / 1024:+.1f} MiB "
          f"({found.growth * 100:+.1f} %)"
          + (f"; from crawl {WARM}: {found.warm_growth * 100:+.1f} %" if found.warm_growth is not None else ""))


if __name__ == "__main__":
    main()
