"""Ids and page numbers are bounded at the edge; a database error of a read is a clean 503, logged once.

Found from outside: on PostgreSQL any id above 2**31-1 answered 500 with a traceback
(``NumericValueOutOfRange``; on SQLite ``OverflowError`` above 2**63-1).
"""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from newswatch.monitor.daemon.healthcheck import cause_of
from newswatch.monitor.web.app import create_app
from newswatch.monitor.web.once import OncePerCause
from newswatch.storage.engine import make_engine, session_factory
from tests.monitor.web.server import fetch, in_thread

HUGE = [2**31, 2**63, 10**20]
PATHS = ["/articles/{n}", "/api/articles/{n}", "/api/articles/{n}/versions", "/articles/1/changes/{n}",
         "/articles/{n}/changes/2", "/feeds/articles/{n}/changes.atom", "/api/changes?page={n}",
         "/api/articles/1/versions?page={n}", "/?page={n}", "/new?source=x&page={n}",
         "/outbox?page={n}"]


def test_every_id_and_page_is_bounded(engine: Engine, sessions: sessionmaker[Session],
                                      caplog: pytest.LogCaptureFixture) -> None:
    answers: dict[str, int] = {}
    with caplog.at_level(logging.ERROR), in_thread(create_app(sessions)) as base:
        for template in PATHS:
            for n in HUGE:
                url = template.format(n=n)
                answers[url] = fetch(base + url)[0]
    assert {url: code for url, code in answers.items() if code not in (400, 404, 422)} == {}
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_a_lost_database_is_a_503_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    engine = make_engine("postgresql+psycopg://postgres@127.0.0.1:1/test")  # nothing listens on port 1
    codes = []
    with caplog.at_level(logging.DEBUG, "newswatch.web"), in_thread(create_app(session_factory(engine))) as base:
        for path in ("/api/articles/1", "/api/articles/1", "/articles/1", "/api/changes"):
            status, _headers, body = fetch(base + path)
            codes.append(status)
            assert b"Traceback" not in body and b"psycopg" not in body.lower()
    engine.dispose()
    assert codes == [503, 503, 503, 503]
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and errors[0].exc_info is not None


def test_causes_are_told_apart_by_class_and_first_line() -> None:
    once = OncePerCause(logging.getLogger("test.once"), limit=2)
    assert once.report(ValueError("a\nSQL: select 1")) is True
    assert once.report(ValueError("a\nSQL: select 2")) is False
    assert once.report(KeyError("a")) is True
    assert cause_of(ValueError("x" * 500)) == "ValueError: " + "x" * 200
    assert once.report(RuntimeError("c")) is True  # beyond the limit: still logged, not remembered
    assert len(once.seen) == 2
