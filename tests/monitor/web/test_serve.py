"""``newswatch serve`` as a user runs it: a taken port or an unmigrated database is a clear error; an empty
database (both backends) is served, not an error."""

from __future__ import annotations

import io
import socket
from pathlib import Path

import feedparser
from sqlalchemy.orm import Session, sessionmaker

from newswatch.monitor.web.app import create_app
from tests.crawler.test_run import migrate, newswatch
from tests.monitor.web.server import fetch, in_thread


def test_a_taken_port_is_a_clear_error(tmp_path: Path) -> None:
    config = tmp_path / "newswatch.toml"
    config.write_text("", encoding="utf-8")
    migrate(config)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = newswatch(config, "serve", "--port", str(port), timeout=60)
    assert result.returncode == 1 and f"cannot listen on 127.0.0.1:{port}" in result.stderr, result.stderr


def test_an_unmigrated_database_is_a_clear_error(tmp_path: Path) -> None:
    config = tmp_path / "newswatch.toml"
    config.write_text("", encoding="utf-8")
    result = newswatch(config, "serve", "--port", "0", timeout=60)
    assert result.returncode == 2 and "newswatch db upgrade" in result.stderr, result.stderr


def test_an_empty_database_serves_every_page_and_empty_feeds(sessions: sessionmaker[Session]) -> None:
    with in_thread(create_app(sessions)) as base:
        for path in ("/", "/new", "/sources", "/outbox", "/feeds", "/api/changes", "/api/sources"):
            assert fetch(base + path)[0] == 200, path
        for path in ("/feeds/changes.atom", "/feeds/new.atom"):
            status, _headers, body = fetch(base + path)
            feed = feedparser.parse(io.BytesIO(body))
            assert status == 200 and not feed.bozo and feed.entries == []
        assert fetch(base + "/articles/1")[0] == 404
        assert b"No changes" in fetch(base + "/")[2]
