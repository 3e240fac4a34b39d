"""A workspace filled by the replayed three-moment crawl (new articles, an addition, a headline rewrite,
an error page taken for an anomaly, a revert), shared by the web tests."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from newswatch.storage.engine import make_engine, session_factory
from newswatch.storage.models import Article
from tests.crawler.test_run import newswatch, setup_workspace
from tests.monitor.moments_site import FIXED_PORT, path
from tests.monitor.record_moments import cassette
from tests.monitor.web.server import newswatch_serve

BASE = f"http://127.0.0.1:{FIXED_PORT}"


@dataclass(frozen=True)
class Moments:
    folder: Path
    config: Path
    database: str
    ids: dict[str, int]  # page letter -> article id


@pytest.fixture(scope="session")
def moments(tmp_path_factory: pytest.TempPathFactory) -> Moments:
    folder = tmp_path_factory.mktemp("web-moments")
    config = setup_workspace(folder, BASE)
    for moment in (1, 2, 3):
        result = newswatch(config, "run", "--replay", str(cassette(moment)))
        assert result.returncode == 0, result.stderr
    database = f"sqlite:///{folder / 'data' / 'newswatch.db'}"
    engine = make_engine(database)
    with session_factory(engine)() as session:
        ids = {page: session.execute(select(Article.id).where(Article.canonical_url == BASE + path(page)))
               .scalar_one() for page in "abcdef"}
    engine.dispose()
    return Moments(folder, config, database, ids)


@pytest.fixture(scope="session")
def served(moments: Moments) -> Iterator[str]:
    """``newswatch serve`` over the moments workspace; its base URL."""
    with newswatch_serve(moments.config) as base:
        yield base
