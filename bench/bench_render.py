"""Rendered pages against plain fetching: ``python -m bench.bench_render [N]`` (default 60) prints a table
(not a test, not in ``bench/__main__.py``).

The site (loopback, ``tests/crawler/site_server.py``): N article pages built like the render test site's
script page (``tests/crawler/render_site.py``: BBC Chinese's report moved into a JSON blob that the page's
script writes into an empty ``<article>``), each with its own sentence, and a section page linking them.
Two fresh workspaces crawl it with ``newswatch run`` in a child process, the same settings
(``download_delay = 0``, ``concurrency_per_domain = 8``): one plain, one with ``render = "browser"``.

Per run: pages fetched, articles stored, pages per second over the crawl (the crawl run's own start and
finish, start-up excluded) and over the child's wall time (start-up included), and the peak PSS, sampled
every 0.2 s, of the newswatch process alone, of its extraction pool, of Chromium's processes (``chromium``
and its zygote, renderers, GPU and utility processes) and of playwright's driver (``node``).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from bench.tree import descendants, pss_kib
from tests.conftest import ROOT
from tests.crawler.render_site import DELAY, blob, shell, write_render_workspace
from tests.crawler.site_server import SiteServer

SAMPLE = 0.2  # seconds
FROM_BLOB = "show(JSON.parse(document.getElementById('data').textContent));"


def build_site(server: SiteServer, count: int) -> None:
    html = {"Content-Type": "text/html; charset=utf-8"}
    base = blob()
    for index in range(count):
        data = base.replace('"paragraphs": [', f'"paragraphs": ["第{index}号测试稿：本段为基准测试插入的句子。", ', 1)
        server.add(f"/2012/12/10/bench-{index}.html", body=shell(FROM_BLOB, data), headers=html)
    links = "".join(f'<li><a href="/2012/12/10/bench-{i}.html">{i}</a></li>' for i in range(count))
    server.add("/", body=f"<!doctype html><html><body><ul>{links}</ul></body></html>".encode(), headers=html)


def workspace(folder: Path, base_url: str, rendered: bool, count: int) -> Path:
    config = write_render_workspace(folder, base_url)
    sources = folder / "seeds" / "sources.toml"
    text = sources.read_text(encoding="utf-8")
    text = text.replace(f'pages = ["{base_url}/2012/12/10/never.html"]\n', "")
    sources.write_text(text if rendered else text.replace('render = "browser"\n', ""), encoding="utf-8")
    text = config.read_text(encoding="utf-8")
    text = text.replace(f"download_delay = {DELAY}\nconcurrency_per_domain = 1\n",
                        "download_delay = 0.0\nconcurrency_per_domain = 8\n")
    text = text.replace("download_timeout = 2.0\nrender_timeout = 3.0\n",
                        f"download_timeout = 30.0\nrender_timeout = 30.0\nmax_pages_per_site = {count + 10}\n")
    assert "concurrency_per_domain = 8" in text and "render_timeout = 30.0" in text
    config.write_text(text, encoding="utf-8")
    return config


def kind_of(pid: int) -> str:
    """``chromium`` (every process of the browser's executable: its zygotes re-exec it), ``driver``
    (playwright's node), ``other`` (the extraction pool's forkserver and workers)."""
    try:
        exe = os.readlink(f"/proc/{pid}/exe")
    except OSError:
        return "gone"
    name = Path(exe).name
    return "chromium" if "chrom" in name or "headless" in name else "driver" if name == "node" else "other"


@dataclass
class Peaks:
    main: int = 0
    chromium: int = 0
    driver: int = 0
    other: int = 0
    processes: int = 0

    def sample(self, pid: int) -> None:
        sums = {"chromium": 0, "driver": 0, "other": 0, "gone": 0}
        children = descendants(pid)
        for child in children:
            sums[kind_of(child)] += pss_kib(child)
        self.main = max(self.main, pss_kib(pid))
        self.chromium = max(self.chromium, sums["chromium"])
        self.driver = max(self.driver, sums["driver"])
        self.other = max(self.other, sums["other"])
        self.processes = max(self.processes, 1 + len(children))


@dataclass(frozen=True)
class Run:
    name: str
    code: int
    wall: float
    crawl: float
    fetched: int
    stored: int
    peaks: Peaks


def crawl_figures(folder: Path) -> tuple[float, int, int]:
    """The crawl run's own seconds, pages fetched and articles stored."""
    from sqlalchemy import select

    from newswatch.storage.engine import make_engine, session_factory
    from newswatch.storage.models import Article, CrawlRun

    engine = make_engine(f"sqlite:///{folder / 'data' / 'newswatch.db'}")
    with session_factory(engine)() as session:
        run = session.execute(select(CrawlRun).order_by(CrawlRun.id.desc())).scalars().first()
        stored = len(session.execute(select(Article.id)).all())
        assert run is not None and run.finished_at is not None
        seconds = (run.finished_at - run.started_at).total_seconds()
        stats = run.stats or {}
        fetched = sum(int(stats.get(f"newswatch/fetched/{kind}", 0) or 0) for kind in ("page", "article"))
    engine.dispose()
    return seconds, fetched, stored


def run(name: str, config: Path, *args: str) -> Run:
    code = "import sys; from newswatch.monitor.cli.main import main; sys.argv[0] = 'newswatch'; main()"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("NEWSWATCH_DATABASE_URL", None)
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-c", code, "--config", str(config), *args], cwd=config.parent,
                             env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peaks, done = Peaks(), threading.Event()

    def watch() -> None:
        while not done.wait(SAMPLE):
            peaks.sample(child.pid)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    status = child.wait()
    wall = time.perf_counter() - started
    done.set()
    watcher.join()
    if args[0] != "run":
        return Run(name, status, wall, 0.0, 0, 0, peaks)
    seconds, fetched, stored = crawl_figures(config.parent)
    return Run(name, status, wall, seconds, fetched, stored, peaks)


def table(runs: list[Run], count: int) -> str:
    mib = 1024
    lines = [f"{count} article pages + 1 section page, loopback",
             "| fetching | exit | pages | stored | pages/s (crawl) | pages/s (wall) | newswatch PSS | "
             "extraction pool PSS | Chromium PSS | driver PSS | processes |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in runs:
        p = r.peaks
        lines.append(f"| {r.name} | {r.code} | {r.fetched} | {r.stored} | {r.fetched / r.crawl:.1f} | "
                     f"{r.fetched / r.wall:.1f} | {p.main / mib:.0f} MiB | {p.other / mib:.0f} MiB | "
                     f"{p.chromium / mib:.0f} MiB | {p.driver / mib:.0f} MiB | {p.processes} |")
    return "\n".join(lines)


def main(argv: list[str]) -> None:
    count = int(next((a for a in argv if a.isdigit()), "60"))
    runs = []
    with SiteServer() as server, tempfile.TemporaryDirectory(prefix="nw-bench-render-") as scratch:
        build_site(server, count)
        for name, rendered in (("plain", False), ("browser", True)):
            config = workspace(Path(scratch) / name, server.base_url, rendered, count)
            run("db", config, "db", "upgrade")
            runs.append(run(name, config, "run"))
    print(table(runs, count))
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main(sys.argv[1:])
