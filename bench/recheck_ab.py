"""``python -m bench.recheck_ab --queue DIR``: an A/B harness for the everyday re-check (1,000 x 304).

It builds the bench site once (:mod:`bench.site`, on loopback, in this process), runs one first crawl on
a SQLite workspace with this checkout's code and urlwatch's first run, then serves requests dropped into
``DIR`` as ``*.json`` files, in name order, one at a time::

    {"label": "new", "root": "/path/to/checkout", "peer": true, "env": {}, "wrap": []}

Each is a re-check of the same workspace (every article due, all answering 304) by ``bench.child`` with
``PYTHONPATH=root`` (``wrap``: words put before ``-m bench.child``, e.g. ``["-X", "importtime"]``), then,
with ``peer``, urlwatch's re-check. One JSON line per request is appended to ``DIR/results.jsonl``: wall and
CPU seconds of each, the load average. A file ``DIR/stop`` ends the harness.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from bench.crawl import first_crawl
from bench.peer import peer_python, urlwatch, write_jobs
from bench.site import build_site, pages, templates
from tests.crawler.site_server import SiteServer


def recheck(config: Path, request: dict[str, Any], folder: Path) -> dict[str, Any]:
    report = folder / f"child-{uuid.uuid4().hex[:8]}.json"
    env = {**os.environ, "PYTHONPATH": request["root"], "BENCH_CHILD_REPORT": str(report), **request.get("env", {})}
    env.pop("NEWSWATCH_DATABASE_URL", None)
    command = [sys.executable, *request.get("wrap", []), "-m", "bench.child", "--config", str(config),
               "run", "--json"]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=config.parent, env=env, check=False)
    seconds = time.perf_counter() - start
    measured = json.loads(report.read_text(encoding="utf-8")) if report.exists() else {}
    report.unlink(missing_ok=True)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    figures = json.loads(lines[-1]).get("figures", {}) if lines else {}
    if done.stderr and request.get("stderr"):
        Path(request["stderr"]).write_text(done.stderr, encoding="utf-8")
    return {"seconds": round(seconds, 3), "cpu": measured.get("cpu_seconds"), "status": done.returncode,
            "unchanged": figures.get("unchanged"), "changed": figures.get("changed"), "new": figures.get("new")}


def serve(queue: Path, n: int) -> None:
    found = templates()
    peer = peer_python()
    with SiteServer() as server:
        feeds, sitemaps = build_site(server, found, n)
        first_crawl(queue / "sqlite", server.base_url, feeds, sitemaps, n)
        write_jobs(queue / "urlwatch", [server.base_url + page.path for page in pages(found, n)])
        urlwatch(peer, queue / "urlwatch")
        (queue / "ready").write_text(server.base_url, encoding="utf-8")
        while not (queue / "stop").exists():
            waiting = sorted(queue.glob("*.json"))
            if not waiting:
                time.sleep(0.5)
                continue
            request = json.loads(waiting[0].read_text(encoding="utf-8"))
            waiting[0].unlink()
            row: dict[str, Any] = {"label": request.get("label"), "load_before": os.getloadavg()[0]}
            row["newswatch"] = recheck(queue / "sqlite" / "newswatch.toml", request, queue)
            if request.get("peer"):
                again = urlwatch(peer, queue / "urlwatch")
                row["urlwatch"] = {"seconds": round(again.run.seconds, 3), "cpu": again.run.cpu_seconds}
            row["load_after"] = os.getloadavg()[0]
            with (queue / "results.jsonl").open("a", encoding="utf-8") as out:
                out.write(json.dumps(row) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--queue", type=Path, required=True)
    parser.add_argument("--n", type=int, default=1000)
    args = parser.parse_args()
    args.queue.mkdir(parents=True, exist_ok=True)
    serve(args.queue, args.n)


if __name__ == "__main__":
    main()
