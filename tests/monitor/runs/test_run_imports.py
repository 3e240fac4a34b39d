"""A run imports what it uses: nothing of the crawl stack with nothing to crawl, no extractor when nothing
needs extracting (every page answers 304). Each run is a ``newswatch`` child process started as a user
starts it; at exit it writes the names of the modules it had loaded."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.crawler.fixture_site import fixture_bytes, write_workspace
from tests.crawler.site_server import SiteServer

EXTRACTION = ("trafilatura", "py3langid", "numpy", "htmldate", "justext")
CRAWL = ("scrapy", "twisted", "parsel")
OTHER_COMMANDS = ("fastapi", "uvicorn", "apprise", "feedgen", "jinja2")  # the web view's, Apprise channels'
MIGRATIONS = ("alembic", "mako")  # only `newswatch db upgrade` migrates: the schema check reads the revision
UNUSED_SCRAPY_PARTS = ("aiohttp", "tldextract")  # Scrapy's remote control, its cookies middleware
CODE = """import atexit, json, os, sys
atexit.register(lambda: open(os.environ["LOADED_MODULES"], "w").write(json.dumps(sorted(sys.modules))))
sys.argv[0] = "newswatch"
from newswatch.monitor.cli.main import main
main()
"""


def newswatch(config: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """Run the CLI in a child; its result and the top-level packages it had imported at exit."""
    loaded = config.parent / "modules.json"
    environ = {**os.environ, "PYTHONPATH": str(ROOT), "LOADED_MODULES": str(loaded)}
    environ.pop("NEWSWATCH_DATABASE_URL", None)
    environ["NEWSWATCH_CRAWL__EXTRACT_WORKERS"] = "1"  # extraction in this process: what it loads is seen here
    done = subprocess.run([sys.executable, "-W", "error", "-c", CODE, "--config", str(config), *args],
                          capture_output=True, text=True, timeout=240, cwd=config.parent, env=environ, check=False)
    names = json.loads(loaded.read_text(encoding="utf-8")) if loaded.exists() else []
    return done, {name.split(".")[0] for name in names}


def empty_workspace(folder: Path) -> Path:
    (folder / "seeds").mkdir(parents=True)
    config = folder / "newswatch.toml"
    config.write_text('[storage]\ndata_dir = "data"\ncorpus_dir = "data/corpus"\nseeds_dir = "seeds"\n',
                      encoding="utf-8")
    return config


def test_a_run_with_nothing_to_crawl_loads_no_crawl_stack(tmp_path: Path) -> None:
    config = empty_workspace(tmp_path)
    upgrade, _ = newswatch(config, "db", "upgrade")
    assert upgrade.returncode == 0, upgrade.stderr
    done, loaded = newswatch(config, "run", "--json")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout.splitlines()[-1])
    assert summary["outcome"] == "ok"
    assert summary["figures"]["fetched"] == 0
    unused = {*EXTRACTION, *CRAWL, *OTHER_COMMANDS, *MIGRATIONS, *UNUSED_SCRAPY_PARTS}
    assert loaded.isdisjoint(unused), sorted(loaded & unused)


@pytest.mark.parametrize("validator", [("ETag", '"v1"'), ("Last-Modified", "Tue, 01 Apr 2025 08:00:00 GMT")],
                         ids=["etag", "last-modified"])
def test_a_recheck_answered_304_loads_no_extractor(tmp_path: Path, validator: tuple[str, str]) -> None:
    page = fixture_bytes("n4k-chinese_article_002")
    with SiteServer() as server:
        server.add("/2025/04/01/story.html", page, headers={"Content-Type": "text/html; charset=utf-8",
                                                             validator[0]: validator[1]})
        server.add("/", b'<html><body><a href="/2025/04/01/story.html">a</a></body></html>',
                   headers={"Content-Type": "text/html"})
        config = write_workspace(tmp_path, server.base_url)
        assert newswatch(config, "db", "upgrade")[0].returncode == 0
        first, first_loaded = newswatch(config, "run", "--json")
        again, loaded = newswatch(config, "run", "--json")
    assert first.returncode == 0 and again.returncode == 0, again.stderr
    assert json.loads(first.stdout.splitlines()[-1])["figures"]["new"] == 1
    assert "trafilatura" in first_loaded  # the first run extracted: the check below can fail
    assert json.loads(again.stdout.splitlines()[-1])["figures"]["unchanged"] == 1
    assert "scrapy" in loaded
    unused = {*EXTRACTION, *MIGRATIONS, *UNUSED_SCRAPY_PARTS}
    assert loaded.isdisjoint(unused), sorted(loaded & unused)
