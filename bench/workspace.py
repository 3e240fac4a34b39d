"""Scratch workspaces and ``newswatch`` child processes for the benchmark.

A workspace is a folder with ``seeds/`` (one seed naming the source 测试新闻, the registry mapping it to
the bench site with its feeds and sitemaps) and a ``newswatch.toml`` whose politeness is relaxed for
loopback. Each ``newswatch`` command runs in a child process started through :mod:`bench.child`, which
reports the child's peak RSS and CPU time (and, when asked, a sampled profile).
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

from bench.site import KEYWORD
from tests.conftest import ROOT
from tests.crawler.fixture_site import SEED

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
LOCKED = 75  # newswatch's exit status when another run holds the storage lock


@dataclass(frozen=True)
class ChildRun:
    """One ``newswatch`` command: wall seconds, exit status, output, and what the child measured."""

    seconds: float
    status: int
    stdout: str
    stderr: str
    max_rss_kib: int
    cpu_seconds: float  # of the whole process tree: with its descendants' (bench.child)
    tree_pss_kib: int = 0  # peak PSS of the process and its descendants (an extraction pool's workers)
    processes: int = 1  # the most processes of that tree seen at once
    main_cpu_seconds: float | None = None  # the newswatch process's own (None: not measured apart)
    main_pss_kib: int = 0  # the newswatch process's PSS at the tree's peak
    load: float | None = None  # the machine's 1-minute load average at the end of the run

    @property
    def own_cpu_seconds(self) -> float:
        """The newswatch process's own CPU time (all of it when nothing else was measured)."""
        return self.cpu_seconds if self.main_cpu_seconds is None else self.main_cpu_seconds

    @property
    def others_cpu_seconds(self) -> float:
        """Its descendants' CPU time: the extraction pool's workers and forkserver."""
        return self.cpu_seconds - self.own_cpu_seconds

    @property
    def peak_kib(self) -> int:
        """The run's footprint: the tree's peak PSS, or with no other process, its own peak RSS."""
        return self.tree_pss_kib if self.processes > 1 else self.max_rss_kib

    def summary(self) -> dict[str, Any]:
        """The ``--json`` summary a ``newswatch run --json`` printed (its last line)."""
        lines = [line for line in self.stdout.splitlines() if line.startswith("{")]
        return dict(json.loads(lines[-1])) if lines else {}


def write_workspace(folder: Path, site: str | None, feeds: list[str], sitemaps: list[str], n: int) -> Path:
    """Seeds, registry and a config relaxed for the benchmark; returns the config path. Without a
    ``site``, the seeds folder is empty: a run has nothing to crawl (its fixed cost)."""
    seeds = folder / "seeds"
    seeds.mkdir(parents=True, exist_ok=True)
    if site is not None:
        (seeds / "000_0000000000000000.txt").write_text(SEED, encoding="utf-8")
        quoted = ", ".join(json.dumps(u) for u in feeds)
        (seeds / "sources.toml").write_text(
            f'[[source]]\nname = "测试新闻"\nsite = "{site}/"\nfeeds = [{quoted}]\n'
            f"sitemaps = [{', '.join(json.dumps(u) for u in sitemaps)}]\n", encoding="utf-8")
    config = folder / "newswatch.toml"
    config.write_text(
        '[storage]\ndata_dir = "data"\ncorpus_dir = "data/corpus"\nseeds_dir = "seeds"\n'
        '[crawl]\nallow_networks = ["127.0.0.0/8"]\ndownload_delay = 0.0\nconcurrency_per_domain = 16\n'
        # each URL is counted once per listing (home page, feed, sitemap): room for all three
        f"max_pages_per_site = {3 * n + 1000}\nclosespider_timeout = 86400\ndownload_timeout = 120.0\n"
        "retries = 1\n"
        f"[topic]\nkeywords = [{json.dumps(KEYWORD, ensure_ascii=False)}]\n"
        '[schedule]\narticles = ["3650d=0s"]\n',  # every stored article is due on every run
        encoding="utf-8")
    return config


def newswatch(config: Path, *args: str, database_url: str | None = None, profile: Path | None = None,
              timeout: float = 6 * 3600) -> ChildRun:
    """Run ``newswatch --config CONFIG ARGS`` in a child process; retried while the storage lock is taken."""
    for _ in range(60):
        done = _child(config, args, database_url, profile, timeout)
        if done.status != LOCKED:
            return done
        time.sleep(5)  # another run (someone's tests on the same PostgreSQL database) holds the lock
    return done


def _child(config: Path, args: tuple[str, ...], database_url: str | None, profile: Path | None,
           timeout: float) -> ChildRun:
    report = config.parent / f"child-{uuid.uuid4().hex[:8]}.json"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "BENCH_CHILD_REPORT": str(report)}
    env.pop("NEWSWATCH_DATABASE_URL", None)
    if database_url:
        env["NEWSWATCH_DATABASE_URL"] = database_url
    if profile is not None:
        env["BENCH_CHILD_PROFILE"] = str(profile)
    command = [sys.executable, "-m", "bench.child", "--config", str(config), *args]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=config.parent, env=env,
                          check=False)
    seconds = time.perf_counter() - start
    measured = json.loads(report.read_text(encoding="utf-8")) if report.exists() else {}
    report.unlink(missing_ok=True)
    main_cpu = measured.get("main_cpu_seconds")
    return ChildRun(seconds, done.returncode, done.stdout, done.stderr, int(measured.get("max_rss_kib", 0)),
                    float(measured.get("cpu_seconds", 0.0)), int(measured.get("tree_pss_kib", 0)),
                    int(measured.get("processes", 1)), None if main_cpu is None else float(main_cpu),
                    int(measured.get("main_pss_kib", 0)), measured.get("load"))


@contextlib.contextmanager
def postgres_schema() -> Iterator[str]:
    """A fresh schema on the local PostgreSQL, dropped afterwards; yields the database URL selecting it."""
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/test?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as connection:
            connection.execute(f'DROP SCHEMA "{schema}" CASCADE')


def postgres_available() -> bool:
    try:
        with psycopg.connect(PG_ADMIN, connect_timeout=3) as connection:
            connection.execute("SELECT 1")
        return True
    except psycopg.Error:
        return False
