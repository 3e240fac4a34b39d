"""robots.txt holds for stored re-checks too: an article a site disallows after it was stored is not asked for
again (the re-check of a stored article goes through the same downloader middlewares as a first fetch), in one
process and in a split re-check."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.crawler.site_server import SiteServer
from tests.monitor.runs.test_split import ARTICLES, _run, _site, stored_workspace


@pytest.mark.parametrize("split", [False, True], ids=["one-process", "split"])
def test_a_stored_article_robots_txt_now_disallows_is_not_rechecked(tmp_path: Path, split: bool) -> None:
    with SiteServer() as server:
        paths = _site(server)
        server.add_robots("User-agent: *\nAllow: /\n")
        config = stored_workspace(tmp_path, server, split)
        server.add_robots(f"User-agent: *\nDisallow: {paths[0]}\n")
        seen = len(server.requests)
        again = _run(config, split=split)
        asked = [r.path for r in server.requests[seen:]]
    assert paths[0] not in asked, asked
    assert sorted(p for p in asked if "/story-" in p) == sorted(paths[1:])
    assert again["figures"]["unchanged"] == ARTICLES - 1, again  # type: ignore[index]
