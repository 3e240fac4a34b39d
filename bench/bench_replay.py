"""What the pytest plugin costs: ``python -m bench.bench_replay [ROUNDS]`` (default 3).

Prints, as medians over ROUNDS, the wall-clock time of a fresh workspace's ``db upgrade`` and of each
replay of the committed three-moment cassettes (``newswatch run --replay`` in a child process, a webhook
receiver as channel, results read back), and the start-up cost the plugin adds to every pytest session
(``pytest --collect-only`` of an empty project, with and without ``-p no:newswatch``). Not a test: it
prints figures. Nothing leaves the machine (the cassettes replay; the receiver is on loopback).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from newswatch.monitor.testing import Replayer, WebhookReceiver, Workspace
from tests.conftest import ROOT

SOURCES = {"测试新闻": "http://127.0.0.1:38527/"}
EVENTS = ["article.new", "article.changed", "article.anomaly"]


def replay_round(folder: Path) -> dict[str, float]:
    workspace = Workspace(folder)
    workspace.configure(crawl={"allow_networks": ["127.0.0.0/8"]})
    replay = Replayer(workspace, base_dir=ROOT)
    times: dict[str, float] = {}
    start = time.perf_counter()
    workspace.ensure_schema()
    times["db upgrade"] = time.perf_counter() - start
    with WebhookReceiver() as receiver:
        for moment in (1, 2, 3):
            start = time.perf_counter()
            result = replay(f"tests/cassettes/moments_{moment}.yaml", sources=SOURCES,
                            channels=[receiver.channel(events=EVENTS)])
            times[f"replay moment {moment}"] = time.perf_counter() - start
            if result.summary.outcome != "ok":
                raise SystemExit(f"moment {moment}: {result.summary}")
    return times


def collect_seconds(project: Path, *args: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *args],
                   cwd=project, capture_output=True, check=False)
    return time.perf_counter() - start


def main(rounds: int) -> None:
    found: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as scratch:
        for index in range(rounds):
            for name, seconds in replay_round(Path(scratch) / f"round{index}").items():
                found.setdefault(name, []).append(seconds)
        project = Path(scratch) / "empty"
        project.mkdir()
        (project / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
        for _ in range(rounds * 2):
            found.setdefault("pytest start, plugin on", []).append(collect_seconds(project))
            found.setdefault("pytest start, -p no:newswatch", []).append(collect_seconds(project, "-p",
                                                                                         "no:newswatch"))
    print(f"{'what':<32} {'median s':>9} {'min s':>7} {'max s':>7}   ({rounds} rounds)")
    for name, values in found.items():
        print(f"{name:<32} {statistics.median(values):>9.2f} {min(values):>7.2f} {max(values):>7.2f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
