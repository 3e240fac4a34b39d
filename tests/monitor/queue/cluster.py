"""A loopback news cluster for the queue tests: several sites (127.0.0.1, .2, .3: one site each), a
workspace naming them as sources, and the scheduler and workers as real ``newswatch`` processes.

    sites = Sites.start(3, articles=4)       # each: / links to its articles (UTF-8 Chinese pages)
    config = write_config(tmp_path, sites, postgres_url, redis_url, hook_port)
    proc = Proc.start(config, "worker", "--name", "w1")   # stdout+stderr to a file; .log(), .stop()
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import NEWSWATCH_CLI, ROOT
from tests.crawler.site_server import SiteServer

LINES_PER_ARTICLE = 6


def _seed_lines() -> list[str]:
    """Long paragraphs of the seed corpus (real Chinese text), in order."""
    lines = []
    for path in sorted((ROOT / "seeds").glob("*.txt")):
        lines += [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if len(line.strip()) > 40]
    return lines


SEED_LINES = _seed_lines()
MAX_ARTICLES = len(SEED_LINES) // LINES_PER_ARTICLE  # per site: no paragraph in two articles of one site


def article_html(site: str, n: int, edition: int = 1) -> bytes:
    """Article ``n`` of a site: paragraphs no other article of the site has (else they are its template)."""
    start = (n % MAX_ARTICLES) * LINES_PER_ARTICLE
    paragraphs = "".join(f"<p>{line}</p>" for line in SEED_LINES[start:start + LINES_PER_ARTICLE])
    if edition > 1:
        paragraphs += f"<p>更正：{site}本文第{n}篇报道的数字已于第{edition}版更新，特此说明，并向读者致歉。</p>"
    title = f"{site}城市更新报道第{n}篇"
    return (f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>{title}</title></head>'
            f"<body><article><h1>{title}</h1>{paragraphs}</article></body></html>").encode()


def article_path(n: int) -> str:
    return f"/2025/03/{10 + n:02d}/news-{n}.html"


@dataclass
class Sites:
    servers: list[SiteServer]
    articles: int

    @classmethod
    def start(cls, count: int, articles: int) -> Sites:
        assert articles <= MAX_ARTICLES, f"at most {MAX_ARTICLES} articles per site"
        servers = [SiteServer(host=f"127.0.0.{i + 1}").start() for i in range(count)]
        for index, server in enumerate(servers):
            name = f"站点{index + 1}"
            links = "".join(f'<a href="{article_path(n)}">第{n}篇</a> ' for n in range(articles))
            server.add("/", f'<!doctype html><html><head><meta charset="utf-8"><title>{name}</title></head>'
                            f"<body><nav>{links}</nav></body></html>".encode(),
                       headers={"Content-Type": "text/html; charset=utf-8"})
            for n in range(articles):
                server.add(article_path(n), article_html(name, n), headers={"Content-Type": "text/html; charset=utf-8"})
        return cls(servers, articles)

    def edit(self, site: int, n: int, edition: int) -> str:
        server = self.servers[site]
        server.add(article_path(n), article_html(f"站点{site + 1}", n, edition),
                   headers={"Content-Type": "text/html; charset=utf-8"})
        return server.url(article_path(n))

    def take_down(self, site: int, n: int) -> str:
        """Article ``n`` of a site answers 410 Gone from now on (removed at once when re-checked)."""
        server = self.servers[site]
        server.route(article_path(n), (410, (("Content-Type", "text/html; charset=utf-8"),), b"<h1>Gone</h1>"))
        return server.url(article_path(n))

    def stop(self) -> None:
        for server in self.servers:
            server.stop()


def write_config(folder: Path, sites: Sites, database_url: str, redis_url: str, hook_port: int,
                 delay: float = 0.2, job_timeout: float = 20.0, metrics_port: int = 0) -> Path:
    seeds = folder / "seeds"
    seeds.mkdir(parents=True, exist_ok=True)
    (seeds / "sources.toml").write_text("".join(
        f'[[source]]\nname = "站点{i + 1}"\nsite = "{server.base_url}/"\n' for i, server in enumerate(sites.servers)
    ), encoding="utf-8")
    config = folder / "newswatch.toml"
    config.write_text(
        f'[storage]\ndata_dir = "data"\ncorpus_dir = "data/corpus"\nseeds_dir = "seeds"\n'
        f'database_url = "{database_url}"\n'
        f'[crawl]\nallow_networks = ["127.0.0.0/8"]\ndownload_delay = {delay}\ndownload_timeout = 5.0\n'
        f'retries = 1\nobey_robots = false\nclosespider_timeout = {int(job_timeout) - 5}\n'
        '[schedule]\narticles = ["3650d=0s"]\nfeeds_minutes = 0.05\nfeeds_min_minutes = 0.05\n'
        'feeds_max_minutes = 0.1\nrecheck_minutes = 0.05\nalerts_seconds = 0.5\njitter_seconds = 0.0\n'
        'restart_spread_minutes = 0.0\nseeds_minutes = 60.0\n'
        f'[daemon]\nmetrics_port = {metrics_port}\nshutdown_seconds = 10.0\n[web]\nin_daemon = false\n'
        f'[queue]\nredis_url = "{redis_url}"\njob_timeout_seconds = {job_timeout}\nheartbeat_seconds = 0.5\n'
        'dispatch_seconds = 0.5\nmax_tries = 5\nworker_concurrency = 1\n'
        f'[[alerts.channels]]\nname = "hook"\nkind = "webhook"\nurl = "http://127.0.0.1:{hook_port}/in"\n'
        'secret_env = "HOOK_SECRET"\n',
        encoding="utf-8",
    )
    return config


CODE = NEWSWATCH_CLI


def environment() -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HOOK_SECRET": "k"}
    env.pop("NEWSWATCH_DATABASE_URL", None)
    return env


def newswatch(config: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-W", "error", "-c", CODE, "--config", str(config), *args],
                          capture_output=True, text=True, timeout=timeout, cwd=config.parent, env=environment(),
                          check=False)


@dataclass
class Proc:
    process: subprocess.Popen[bytes]
    path: Path

    @classmethod
    def start(cls, config: Path, *args: str) -> Proc:
        path = config.parent / f"{'-'.join(a.strip('-') for a in args)}.{time.monotonic_ns()}.log"
        out = path.open("wb")
        process = subprocess.Popen([sys.executable, "-W", "error", "-c", CODE, "--config", str(config), *args],
                                   stdout=out, stderr=subprocess.STDOUT, cwd=config.parent, env=environment())
        out.close()
        return cls(process, path)

    def log(self) -> str:
        return self.path.read_text(encoding="utf-8", errors="replace")

    def stop(self, timeout: float = 60) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()


def stop_all(procs: tuple[Proc, ...]) -> list[int]:
    """Stop every process (SIGTERM, then SIGKILL after the timeout): one that hangs never leaves the
    others running; then raise if one had to be killed."""
    codes, hung = [], []
    for proc in procs:
        try:
            codes.append(proc.stop())
        except subprocess.TimeoutExpired as exc:
            hung.append(exc)
            codes.append(-9)
    if hung:
        raise hung[0]
    return codes


def wait_for(what: str, check: Callable[[], bool], timeout: float, procs: tuple[Proc, ...] = ()) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        dead = [p for p in procs if p.process.poll() is not None]
        assert not dead, f"{what}: a process ended early:\n" + "\n".join(p.log()[-3000:] for p in dead)
        time.sleep(0.3)
    logs = "\n".join(p.log()[-3000:] for p in procs)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}\n{logs}")
