"""robots.txt holds for stored re-checks too: an article a site disallows after it was stored is not asked for
again (the re-check of a stored article goes through the same downloader middlewares as a first fetch), in one
process and in a split re-check."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import NEWSWATCH_CLI, ROOT
from tests.crawler.fixture_site import write_workspace
from tests.crawler.site_server import SiteServer
from tests.monitor.runs.test_split import ARTICLES, _run, _site


@pytest.mark.parametrize("split", [False, True], ids=["one-process", "split"])
def test_a_stored_article_robots_txt_now_disallows_is_not_rechecked(tmp_path: Path, split: bool) -> None:
    with SiteServer() as server:
        paths = _site(server)
        server.add_robots("User-agent: *\nAllow: /\n")
        config = write_workspace(tmp_path, server.base_url)
        if split:
            config.write_text(config.read_text(encoding="utf-8").replace(
                "[crawl]\n", "[crawl]\nconcurrency_per_domain = 4\nrecheck_processes = 2\n"), encoding="utf-8")
        assert subprocess.run([sys.executable, "-c", NEWSWATCH_CLI, "--config", str(config), "db", "upgrade"],
                              cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)}, check=False).returncode == 0
        first = _run(config)
        assert first["figures"]["new"] == ARTICLES, first  # type: ignore[index]
        server.add_robots(f"User-agent: *\nDisallow: {paths[0]}\n")
        seen = len(server.requests)
        again = _run(config, split=split)
        asked = [r.path for r in server.requests[seen:]]
    assert paths[0] not in asked, asked
    assert sorted(p for p in asked if "/story-" in p) == sorted(paths[1:])
    assert again["figures"]["unchanged"] == ARTICLES - 1, again  # type: ignore[index]
