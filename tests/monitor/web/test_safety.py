"""Safe by default. Fetched text is escaped everywhere (pages, diffs, feeds; on SQLite and PostgreSQL);
no page runs a script even in a real browser; a server bound off loopback needs a token (and refuses
to start without one); no endpoint changes state (every route tried with POST, PUT, PATCH, DELETE)."""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path
from typing import Any

import feedparser
import lxml.html
import pytest
from selenium.common.exceptions import NoAlertPresentException
from sqlalchemy import Engine, MetaData, select
from sqlalchemy.orm import Session, sessionmaker
from starlette.routing import Mount

from newswatch.monitor.daemon.endpoints import daemon_app
from newswatch.monitor.daemon.http import credential
from newswatch.monitor.daemon.metrics import Metrics
from newswatch.monitor.web.app import create_app
from newswatch.storage.engine import make_engine, session_factory
from newswatch.storage.errors import ConfigError
from newswatch.storage.migrate import upgrade
from tests.crawler.test_run import migrate, newswatch
from tests.monitor.web.browser import chromium, console_errors
from tests.monitor.web.hostile import EVIL_URL, TITLE, store
from tests.monitor.web.server import fetch, in_thread

PAGES = ("/", "/articles/{article}", "/articles/{article}/changes/2", "/articles/{link}", "/new", "/sources",
         "/outbox?state=dead", "/feeds", "/?source=%3Cscript%3Esrc%3C%2Fscript%3E")
FEEDS = ("/feeds/changes.atom", "/feeds/articles/{article}/changes.atom", "/feeds/new.atom")
DANGEROUS = ("script", "iframe", "style", "object", "embed", "base")


def assert_inert(markup: str, where: str) -> None:
    """No element that runs or restyles, no event handler, no link or source but our own or http(s)."""
    tree = lxml.html.fromstring(markup)
    found = [el.tag for el in tree.iter() if isinstance(el.tag, str) and el.tag in DANGEROUS]
    assert found == [], f"{where}: live {found}"
    for element in tree.iter():
        if not isinstance(element.tag, str):
            continue
        for name, value in element.attrib.items():
            assert not name.lower().startswith("on"), f"{where}: handler {name}={value}"
            if name in ("href", "src", "action"):
                assert re.match(r"^(/|\?|https?://)", value), f"{where}: {name}={value!r}"


@pytest.fixture
def hostile(sessions: sessionmaker[Session]) -> dict[str, Any]:
    return store(sessions)


def test_pages_escape_fetched_text(sessions: sessionmaker[Session], hostile: dict[str, int]) -> None:
    with in_thread(create_app(sessions)) as base:
        for path in PAGES:
            status, headers, body = fetch(base + path.format(**hostile))
            page = body.decode("utf-8")
            assert status == 200, (path, page[:500])
            assert_inert(page, path)
            text = lxml.html.fromstring(page).text_content()
            assert "default-src 'none'" in headers["content-security-policy"]
            if "articles" in path or path in ("/", "/new"):
                assert TITLE.replace("\x0b", "")[:40] in text.replace("\x0b", ""), f"{path}: the title shown as text"
        _status, _headers, body = fetch(base + f"/articles/{hostile['link']}")
        assert f'href="{EVIL_URL}"' not in body.decode() and EVIL_URL in body.decode(), "shown, not linked"


def test_feeds_escape_fetched_text(sessions: sessionmaker[Session], hostile: dict[str, int]) -> None:
    with in_thread(create_app(sessions)) as base:
        for path in FEEDS:
            status, _headers, body = fetch(base + path.format(**hostile))
            assert status == 200, body[:300]
            feed = feedparser.parse(io.BytesIO(body), sanitize_html=False)
            assert not feed.bozo, (path, feed.get("bozo_exception"))
            assert feed.entries
            for entry in feed.entries:
                assert "<script>" in entry.title, "the title is text, kept as it was (escaped in the XML)"
                assert_inert(f"<div>{entry.content[0].value}</div>", path)
            assert b"<script>" not in body, "nothing unescaped in the XML"


def test_no_script_runs_in_a_browser(tmp_path: Path) -> None:
    """Once, on SQLite (the markup is the same on PostgreSQL)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'web.db'}")
    upgrade(engine)
    sessions = session_factory(engine)
    hostile = store(sessions)
    with in_thread(create_app(sessions)) as base, chromium() as driver:
        for path in PAGES:
            driver.get(base + path.format(**hostile))
            with pytest.raises(NoAlertPresentException):
                driver.switch_to.alert.accept()
            assert console_errors(driver) == [], path
            assert driver.find_element("tag name", "body").is_displayed(), "no injected style hid the page"
        driver.save_screenshot(str(tmp_path / "hostile-diff.png"))
        print(f"screenshot: {tmp_path / 'hostile-diff.png'}")
    engine.dispose()


def dump(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    meta = MetaData()
    meta.reflect(engine)
    with engine.connect() as connection:
        return {name: sorted(map(tuple, connection.execute(select(table)).all()), key=repr)
                for name, table in meta.tables.items()}


def routes(found: list[Any]) -> list[Any]:
    """Every route of the app, the included routers' too (FastAPI wraps each included router)."""
    flat = []
    for route in found:
        included = getattr(route, "original_router", None)
        flat.extend(routes(included.routes) if included is not None else [route])
    return flat


def test_no_endpoint_changes_state(engine: Engine, sessions: sessionmaker[Session],
                                   hostile: dict[str, int]) -> None:
    web = create_app(sessions)
    app = daemon_app(lambda: (200, {"status": "ok"}), Metrics(), web)
    values = {"article_id": str(hostile["article"]), "version": "2", "name": "x"}
    paths = ["/healthz", "/metrics"]
    for route in routes(web.routes):
        template = getattr(route, "path", "")
        paths.append(template + "/style.css" if isinstance(route, Mount) else re.sub(
            r"\{(\w+)(:\w+)?\}", lambda m: values[m.group(1)], template))
    assert len(paths) == len(set(paths)) >= 20 and "/api/changes" in paths and "/feeds/new.atom" in paths
    before = dump(engine)
    with in_thread(app) as base:
        for path in paths:
            assert fetch(base + path)[0] in (200, 404), path
            for method in ("POST", "PUT", "PATCH", "DELETE"):
                assert fetch(base + path, method)[0] == 405, f"{method} {path}"
    assert dump(engine) == before


def test_a_token_guards_everything_but_healthz(sessions: sessionmaker[Session]) -> None:
    app = daemon_app(lambda: (200, {"status": "ok"}), Metrics(), create_app(sessions))
    basic = "Basic " + base64.b64encode(b"reader:s3cret").decode()
    with in_thread(app, token="s3cret") as base:
        status, headers, _body = fetch(base + "/")
        assert status == 401 and headers["www-authenticate"].startswith("Basic")
        assert fetch(base + "/metrics")[0] == 401
        assert fetch(base + "/api/changes", headers={"Authorization": "Bearer wrong"})[0] == 401
        assert fetch(base + "/healthz")[0] == 200
        assert fetch(base + "/api/changes", headers={"Authorization": "Bearer s3cret"})[0] == 200
        assert fetch(base + "/feeds/changes.atom", headers={"Authorization": basic})[0] == 200


@pytest.mark.parametrize(("host", "env", "expected"), [
    ("127.0.0.1", {}, None), ("::1", {}, None), ("localhost", {}, None),
    ("0.0.0.0", {"NW_TOKEN": "t"}, "t"), ("127.0.0.1", {"NW_TOKEN": "t"}, "t"),
], ids=["loopback", "loopback6", "localhost", "public-with-token", "loopback-with-token"])
def test_credential(host: str, env: dict[str, str], expected: str | None) -> None:
    assert credential(host, "web.host", "NW_TOKEN", env) == expected


def test_off_loopback_without_a_token_is_refused() -> None:
    with pytest.raises(ConfigError, match="NW_TOKEN"):
        credential("0.0.0.0", "web.host", "NW_TOKEN", {})


@pytest.mark.parametrize("command", [("serve", "--host", "0.0.0.0"), ("daemon",)], ids=["serve", "daemon"])
def test_commands_refuse_to_bind_off_loopback_without_a_token(tmp_path: Path, command: tuple[str, ...]) -> None:
    config = tmp_path / "newswatch.toml"
    config.write_text('[daemon]\nmetrics_host = "0.0.0.0"\nmetrics_port = 1\n', encoding="utf-8")
    migrate(config)
    result = newswatch(config, *command, env={"NEWSWATCH_WEB_TOKEN": ""}, timeout=60)
    assert result.returncode == 2, result.stderr
    assert "NEWSWATCH_WEB_TOKEN" in result.stderr and "not loopback" in result.stderr
