"""Retries honour ``Retry-After`` (seconds and HTTP-date, capped by ``crawl.retry_after_max``), and a retry
waiting for its turn holds no download slot: with ``crawl.concurrency = 1`` the other pages are fetched
during the wait. Measured from the loopback server's request log, through ``newswatch run``."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from newswatch.crawler.fetch.retry import retry_after_seconds
from newswatch.storage.engine import make_engine, session_factory
from newswatch.storage.models import CrawlRun
from tests.crawler.fixture_site import ARTICLES, fixture_bytes
from tests.crawler.site_server import HeaderPairs, Route, SeenRequest, SiteServer
from tests.crawler.test_run import figures, migrate, newswatch, stored

NOW = datetime(2025, 2, 11, 8, 30, tzinfo=UTC)
HTML = (("Content-Type", "text/html; charset=utf-8"),)


@pytest.mark.parametrize(("value", "expected"), [
    ("120", 120.0),
    (b"0", 0.0),
    ("  7 ", 7.0),
    ("Tue, 11 Feb 2025 08:30:30 GMT", 30.0),
    ("Tuesday, 11-Feb-25 08:31:00 GMT", 60.0),  # RFC 850, still a valid HTTP-date
    ("Tue Feb 11 08:30:05 2025", 5.0),  # asctime
    ("Tue, 11 Feb 2025 08:00:00 GMT", 0.0),  # in the past: go now
    ("-5", None),
    ("1.5", None),
    ("soon", None),
    ("", None),
    (None, None),
    ("9" * 80, None),
    ("Tue, 99 Feb 2025 08:30:30 GMT", None),
], ids=["seconds", "zero", "spaces", "http-date", "rfc850", "asctime", "past", "negative", "fraction", "garbage",
        "empty", "absent", "huge", "bad-date"])
def test_retry_after_values(value: str | bytes | None, expected: float | None) -> None:
    assert retry_after_seconds(value, NOW) == expected


def _told_in(seconds: float) -> HeaderPairs:
    """A Retry-After HTTP-date ``seconds`` from the moment the answer is sent."""
    return (("Retry-After", format_datetime(datetime.now(UTC) + timedelta(seconds=seconds), usegmt=True)),)


# five pages answer 429/503 first; one asks for longer than the cap; one answers at once
PAGES = {f"/2025/03/01/p{i}.html": page for i, page in enumerate(ARTICLES)}
PATHS = sorted(PAGES)
WAITS = {PATHS[0]: 2.0, PATHS[1]: 2.0, PATHS[2]: 2.0}  # Retry-After in seconds
DATED = PATHS[3]  # Retry-After as an HTTP-date, 3 s after the answer
TOO_LONG = "/2025/03/01/too-long.html"  # Retry-After: 3600 > crawl.retry_after_max
AT_ONCE = PATHS[4]


def _serve(server: SiteServer) -> None:
    links = " ".join(f'<a href="{path}">{n}</a>' for n, path in enumerate([*PATHS, TOO_LONG]))
    server.add("/", f"<html><body>{links}</body></html>".encode(), headers=HTML)
    server.add_robots("User-agent: *\nAllow: /\n")
    for path, article in PAGES.items():
        page = Route(200, (("Content-Type", article.content_type),), fixture_bytes(article.fixture))
        if path in WAITS:
            status = 429 if path == PATHS[0] else 503
            server.add_sequence(path, [Route(status, (("Retry-After", f"{WAITS[path]:g}"),)), page])
        elif path == DATED:
            server.add_sequence(path, [Route(503, late_headers=lambda: _told_in(3)), page])
        else:
            server.route(path, page)
    server.route(TOO_LONG, Route(429, (("Retry-After", "3600"),)))


def _workspace(folder: Path, base: str) -> Path:
    seeds = folder / "seeds"
    seeds.mkdir(parents=True)
    (seeds / "000_0000000000000000.txt").write_text("# 忙碌站\n\n来源：忙碌站\n", encoding="utf-8")
    (seeds / "sources.toml").write_text(f'[[source]]\nname = "忙碌站"\nsite = "{base}/"\n', encoding="utf-8")
    config = folder / "newswatch.toml"
    config.write_text('[crawl]\nallow_networks = ["127.0.0.0/8"]\ndownload_delay = 0.0\ndownload_timeout = 5.0\n'
                      'retries = 2\nconcurrency = 1\nretry_after_max = 30.0\n', encoding="utf-8")
    return config


@pytest.fixture(scope="module")
def busy_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str],
                                                                   list[SeenRequest]]:
    folder = tmp_path_factory.mktemp("busy")
    with SiteServer() as server:
        _serve(server)
        config = _workspace(folder, server.base_url)
        migrate(config)
        result = newswatch(config, "run")
        log = server.requests
    return folder, result, log


def _hits(log: list[SeenRequest], path: str) -> list[SeenRequest]:
    return [r for r in log if r.path == path]


@pytest.mark.parametrize("path", sorted(WAITS), ids=lambda p: p.rsplit("/", 1)[-1])
def test_the_retry_waits_as_long_as_retry_after_says(busy_run: tuple[Path, subprocess.CompletedProcess[str],
                                                                    list[SeenRequest]], path: str) -> None:
    _folder, _result, log = busy_run
    first, retry = _hits(log, path)
    assert retry.at - first.at >= WAITS[path], f"retried after {retry.at - first.at:.3f} s"


def test_an_http_date_retry_after_is_waited_for(busy_run: tuple[Path, subprocess.CompletedProcess[str],
                                                                  list[SeenRequest]]) -> None:
    _folder, _result, log = busy_run
    first, retry = _hits(log, DATED)
    told = first.at + 3  # the date was 3 s after the answer, cut to whole seconds: at least 2 s later
    assert retry.at >= int(told), f"retried {retry.at - first.at:.3f} s after the 503"


def test_other_requests_keep_flowing_while_a_retry_waits(busy_run: tuple[Path, subprocess.CompletedProcess[str],
                                                                        list[SeenRequest]]) -> None:
    """One download slot, four pages told to wait. A wait spent inside the slot blocks everything: each
    page's retry would be sent before the next page was first asked (first, retry, first, retry, ...).
    Waiting in the scheduler, the slot keeps serving: every one of the four is asked once before any
    retry is sent, so all four waits run at once. Asserted on the order of the server's request log,
    not on seconds."""
    _folder, _result, log = busy_run
    told = [*WAITS, DATED]
    order = [r.path for r in log if r.path in told]  # each path twice: its first request, then its retry
    retried_at = [i for i, path in enumerate(order) if path in order[:i]]
    assert len(order) == 2 * len(told) and len(retried_at) == len(told), order
    assert min(retried_at) == len(told), f"a retry was sent before all the pages were asked once: {order}"
    earliest = order[0]
    first, retry = _hits(log, earliest)
    assert {r.path for r in log if first.at < r.at < retry.at} >= set(told) - {earliest}


def test_a_retry_after_over_the_cap_is_not_waited_for(busy_run: tuple[Path, subprocess.CompletedProcess[str],
                                                                     list[SeenRequest]]) -> None:
    folder, result, log = busy_run
    assert len(_hits(log, TOO_LONG)) == 1
    dropped = [line for line in result.stdout.splitlines() if line.strip().startswith("dropped ")]
    assert any("http_429" in line and TOO_LONG in line for line in dropped), result.stdout  # a discovered link
    engine = make_engine(f"sqlite:///{folder / 'data' / 'newswatch.db'}")
    with session_factory(engine)() as session:
        stats = session.execute(select(CrawlRun.stats)).scalar_one()
    engine.dispose()
    assert stats["newswatch/retry/after_too_long"] == 1
    assert stats["newswatch/retry/retry_after"] == 4 and stats["newswatch/retry/delayed"] == 4


def test_every_page_that_was_retried_is_stored(busy_run: tuple[Path, subprocess.CompletedProcess[str],
                                                                list[SeenRequest]]) -> None:
    folder, result, _log = busy_run
    assert result.returncode == 0, result.stderr[-2000:]  # finished; the 429 over the cap is listed as dropped
    assert figures(result.stdout)["new"] == len(PAGES)
    urls = set(stored(folder))
    assert all(any(url.endswith(path) for url in urls) for path in PAGES)
