"""Fixtures for crawler tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.crawler.site_server import SiteServer


@pytest.fixture
def site_server() -> Iterator[SiteServer]:
    """A started, empty :class:`SiteServer` on 127.0.0.1; register routes, then crawl it."""
    server = SiteServer().start()
    try:
        yield server
    finally:
        server.stop()
