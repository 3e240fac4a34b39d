"""End to end: ``newswatch run`` against the loopback fixture site, recorded, then replayed offline.

Each run is a child process (the Twisted reactor cannot restart inside pytest), started the way a
user starts it: the ``newswatch`` CLI with a config file, warnings as errors.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from newswatch.monitor.config.model import load_config
from newswatch.storage.engine import make_engine, session_factory
from newswatch.storage.migrate import upgrade
from newswatch.storage.models import Article, CrawlRun, Version
from tests.conftest import NEWSWATCH_CLI, ROOT
from tests.crawler.fixture_site import ARTICLES, CASSETTE, FIXED_PORT, build_site, fixture_bytes, write_workspace
from tests.crawler.site_server import SiteServer

FIGURES = ("fetched", "new", "changed", "unchanged", "rejected", "refused", "errors")


def newswatch(config: Path, *args: str, env: dict[str, str] | None = None,
              timeout: float = 240) -> subprocess.CompletedProcess[str]:
    code = NEWSWATCH_CLI
    environ = {**os.environ, "PYTHONPATH": str(ROOT)}
    environ.pop("NEWSWATCH_DATABASE_URL", None)
    environ.update(env or {})
    return subprocess.run(
        [sys.executable, "-W", "error", "-c", code, "--config", str(config), *args],
        capture_output=True, text=True, timeout=timeout, cwd=config.parent, env=environ, check=False,
    )


def migrate(config: Path, env: dict[str, str] | None = None) -> None:
    """What ``newswatch db upgrade`` does for ``config``, in this process: a test's set-up, where a child
    process would cost a second or more (the command itself is tested in tests/monitor/cli/test_cli.py).
    The environment is the child's of :func:`newswatch`."""
    environ = {**os.environ, **(env or {})}
    if "NEWSWATCH_DATABASE_URL" not in (env or {}):
        environ.pop("NEWSWATCH_DATABASE_URL", None)
    engine = make_engine(load_config(config, environ).database_url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()


def figures(output: str) -> dict[str, int]:
    line = next(line for line in output.splitlines() if line.strip().startswith("fetched"))
    words = line.split()
    return {words[i]: int(words[i + 1]) for i in range(0, len(words), 2)}


def stored(folder: Path, killed: bool = False) -> dict[str, int]:
    """url -> latest version number; every run finished (a killed run may be left running)."""
    engine = make_engine(f"sqlite:///{folder / 'data' / 'newswatch.db'}")
    with session_factory(engine)() as session:
        articles = {a.canonical_url: a.id for a in session.execute(select(Article)).scalars()}
        versions = {v.article_id: v.number for v in session.execute(select(Version)).scalars()}
        runs = session.execute(select(CrawlRun)).scalars().all()
        assert runs and all(r.finished_at is not None or (killed and r.outcome == "running") for r in runs)
    engine.dispose()
    return {url: versions.get(article_id, 0) for url, article_id in articles.items()}


def setup_workspace(folder: Path, base_url: str) -> Path:
    config = write_workspace(folder, base_url)
    migrate(config)
    return config


def test_record_then_replay_offline_gives_the_same_articles(tmp_path: Path) -> None:
    with SiteServer() as server:
        build_site(server)
        base = server.base_url
        config = setup_workspace(tmp_path / "record", base)
        cassette = tmp_path / "site.yaml"
        recorded = newswatch(config, "run", "--record", str(cassette))
        assert recorded.returncode == 0, recorded.stderr
        hits = server.hits()
    assert hits > 0
    replay_config = setup_workspace(tmp_path / "replay", base)
    replayed = newswatch(replay_config, "run", "--replay", str(cassette))
    assert replayed.returncode == 0, replayed.stderr
    assert figures(replayed.stdout) == figures(recorded.stdout)
    assert stored(tmp_path / "replay") == stored(tmp_path / "record")
    assert yaml.safe_load(cassette.read_text(encoding="utf-8"))["interactions"]


@pytest.fixture(scope="module")
def committed_replay(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    folder = tmp_path_factory.mktemp("committed")
    config = setup_workspace(folder, f"http://127.0.0.1:{FIXED_PORT}")
    return folder, newswatch(config, "run", "--replay", str(CASSETTE))


def test_committed_cassette_discovers_and_stores_the_site(
    committed_replay: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    folder, result = committed_replay
    assert result.returncode == 0, result.stderr
    numbers = figures(result.stdout)
    assert set(FIGURES) <= set(numbers)
    urls = set(stored(folder))
    for page in ARTICLES:
        assert f"http://127.0.0.1:{FIXED_PORT}{page.path}" in urls, page.path
    assert numbers["new"] == len(ARTICLES)
    assert numbers["rejected"] == 2, result.stdout
    assert numbers["refused"] == 2, result.stdout  # robots.txt /private/ and the 10.x feed link
    corpus = sorted(p.name for p in (folder / "data" / "corpus").glob("*.txt"))
    assert len(corpus) == len(ARTICLES)


def test_second_replay_finds_everything_unchanged(
    committed_replay: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    folder, first = committed_replay
    assert first.returncode == 0, first.stderr
    before = stored(folder)
    again = newswatch(folder / "newswatch.toml", "run", "--replay", str(CASSETTE))
    assert again.returncode == 0, again.stderr
    numbers = figures(again.stdout)
    assert numbers["new"] == 0 and numbers["changed"] == 0
    assert numbers["unchanged"] >= len(ARTICLES)
    assert stored(folder) == before


def test_request_missing_from_cassette_is_a_counted_error(tmp_path: Path) -> None:
    config = setup_workspace(tmp_path, f"http://127.0.0.1:{FIXED_PORT + 1}")
    result = newswatch(config, "run", "--replay", str(CASSETTE))
    assert result.returncode == 1, result.stderr  # finished, with errors
    assert "not in the cassette" in result.stderr
    assert figures(result.stdout)["errors"] > 0


def test_recheck_uses_conditional_get_and_304_records_unchanged(tmp_path: Path) -> None:
    page = fixture_bytes("n4k-chinese_article_002")
    with SiteServer() as server:
        server.add("/2025/04/01/etag.html", page, headers={
            "Content-Type": "text/html; charset=utf-8", "ETag": '"v1"',
            "Last-Modified": "Tue, 01 Apr 2025 08:00:00 GMT",
        })
        server.add("/", b'<html><body><a href="/2025/04/01/etag.html">a</a></body></html>',
                   headers={"Content-Type": "text/html"})
        config = setup_workspace(tmp_path, server.base_url)
        first = newswatch(config, "run")
        second = newswatch(config, "run")
        conditional = [r for r in server.requests if r.path == "/2025/04/01/etag.html"]
    assert first.returncode == 0 and second.returncode == 0, second.stderr
    assert figures(first.stdout)["new"] == 1
    assert dict(conditional[-1].headers).get("If-None-Match") == '"v1"'
    assert dict(conditional[-1].headers).get("If-Modified-Since") == "Tue, 01 Apr 2025 08:00:00 GMT"
    numbers = figures(second.stdout)
    assert (numbers["new"], numbers["changed"], numbers["unchanged"]) == (0, 0, 1)
    assert stored(tmp_path) == {f"{server.base_url}/2025/04/01/etag.html": 1}
    engine = make_engine(f"sqlite:///{tmp_path / 'data' / 'newswatch.db'}")
    with session_factory(engine)() as session:
        last = session.execute(select(CrawlRun).order_by(CrawlRun.id.desc())).scalars().first()
        assert last is not None and last.stats.get("newswatch/articles/not_modified") == 1
    engine.dispose()


def test_committed_workspace_matches_the_fixture_site(tmp_path: Path) -> None:
    """tests/fixtures/fixture_site is what README's replay example runs: it must not drift."""
    committed = ROOT / "tests" / "fixtures" / "fixture_site"
    write_workspace(tmp_path, f"http://127.0.0.1:{FIXED_PORT}")
    for name in ("newswatch.toml", "seeds/sources.toml", "seeds/000_0000000000000000.txt"):
        assert (committed / name).read_bytes() == (tmp_path / name).read_bytes(), name
