"""``newswatch sources``: add a loopback site (discovery shown, confirmed, saved, then crawled by
``newswatch run``), list with health, remove, OPML import and export."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from newswatch.monitor.cli.main import cli
from newswatch.monitor.sources.opml import parse_opml
from newswatch.monitor.sources.registry import load_registry
from tests.conftest import ROOT, SEEDS
from tests.crawler.fixture_site import ARTICLES, build_site
from tests.crawler.site_server import SiteServer
from tests.crawler.test_run import figures, newswatch

CONFIG = ('[storage]\ndata_dir = "data"\ncorpus_dir = "data/corpus"\nseeds_dir = "seeds"\n'
          '[crawl]\nallow_networks = ["127.0.0.0/8"]\ndownload_delay = 0.0\ndownload_timeout = 5.0\nretries = 1\n')
REAL_OPML = ROOT / "tests" / "fixtures" / "opml" / "news_explorer_export.opml"


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No seed documents at all: a source exists only because it is registered."""
    (tmp_path / "seeds").mkdir()
    (tmp_path / "newswatch.toml").write_text(CONFIG, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    for name in ("NEWSWATCH_DATABASE_URL", "NEWSWATCH_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def invoke(*args: str, stdin: str | None = None, code: int = 0) -> Result:
    """Run a command as ``newswatch`` does (``main``: the command's return value is the exit status)."""
    result = CliRunner().invoke(cli, list(args), input=stdin, catch_exceptions=False, standalone_mode=False)
    assert (result.return_value or 0) == code, result.output
    return result


def test_add_shows_discovery_saves_on_yes_and_run_crawls_it(workspace: Path) -> None:
    registry = workspace / "seeds" / "sources.toml"
    with SiteServer() as server:
        build_site(server)
        base = server.base_url
        refused = invoke("sources", "add", f"{base}/", "--name", "测试新闻", stdin="n\n", code=1)
        assert f"feed:     {base}/rss.xml (discovered)" in refused.output
        assert f"sitemap:  {base}/sitemap_index.xml (discovered)" in refused.output
        assert "not saved" in refused.output and not registry.exists()
        saved = invoke("sources", "add", f"{base}/", "--name", "测试新闻", stdin="y\n")
        assert "saved '测试新闻'" in saved.output
        source = load_registry(workspace / "seeds").resolve("测试新闻")
        assert source is not None
        assert (source.site, source.feeds, source.sitemaps) == (f"{base}/", (f"{base}/rss.xml",),
                                                                (f"{base}/sitemap_index.xml",))
        invoke("db", "upgrade")
        assert json.loads(invoke("sources", "list", "--json").output)["health"] == "never checked"
        run = newswatch(workspace / "newswatch.toml", "run")
        assert run.returncode == 0, run.stderr
        assert figures(run.stdout)["new"] == len(ARTICLES), run.stdout
    listed = json.loads(invoke("sources", "list", "--json").output)
    assert (listed["name"], listed["state"], listed["health"], listed["articles"]) == ("测试新闻", "registered", "ok",
                                                                                      len(ARTICLES))
    assert "health:   ok; last checked" in invoke("sources").output


def test_add_refuses_what_is_registered_and_private_addresses(workspace: Path) -> None:
    with SiteServer() as server:
        build_site(server)
        invoke("sources", "add", server.url("/"), "--name", "甲", "--yes")
        again = CliRunner().invoke(cli, ["sources", "add", server.url("/"), "--yes"])
        assert again.exit_code != 0 and "registered already, as '甲'" in str(again.exception)
        (workspace / "newswatch.toml").write_text(CONFIG.replace('allow_networks = ["127.0.0.0/8"]\n', ""),
                                                  encoding="utf-8")
        refused = CliRunner().invoke(cli, ["sources", "add", server.url("/news/"), "--yes"])
        assert refused.exit_code != 0 and "non-public address" in str(refused.exception)
        assert server.hits("/news/") == 0
    assert [s.name for s in load_registry(workspace / "seeds").sources] == ["甲"]


def test_given_feeds_skip_discovery(workspace: Path) -> None:
    out = invoke("sources", "add", "https://news.example.cn/", "--feed", "https://news.example.cn/rss",
                 "--sitemap", "https://news.example.cn/sitemap.xml", "--yes").output
    assert "(discovered)" in out.splitlines()[0] and "(discovered)" not in "".join(out.splitlines()[1:])
    assert load_registry(workspace / "seeds").resolve("news.example.cn") is not None


def test_remove_keeps_the_other_sources_and_the_comments(workspace: Path) -> None:
    (workspace / "seeds" / "sources.toml").write_text((SEEDS / "sources.toml").read_text(encoding="utf-8"),
                                                      encoding="utf-8")
    out = invoke("sources", "remove", "华商网").output  # an alias
    assert "removed '华商报'" in out
    text = (workspace / "seeds" / "sources.toml").read_text(encoding="utf-8")
    assert 'name = "华商报"' not in text and "# a WeChat official account" in text
    assert text.startswith("# Source registry")
    assert CliRunner().invoke(cli, ["sources", "remove", "华商报"]).exit_code != 0


def test_import_a_real_export_then_export_and_read_it_back(workspace: Path) -> None:
    dry = invoke("sources", "import", str(REAL_OPML), "--dry-run").output
    assert "would change: 72 added, 0 updated, 0 already there, 0 skipped" in dry
    assert not (workspace / "seeds" / "sources.toml").exists()
    assert "changed: 72 added" in invoke("sources", "import", str(REAL_OPML)).output
    assert "changed: 0 added, 0 updated, 72 already there" in invoke("sources", "import", str(REAL_OPML)).output
    exported = invoke("sources", "export").output.encode()
    assert parse_opml(exported).sources == load_registry(workspace / "seeds").sources
    assert len(load_registry(workspace / "seeds").sources) == 72
    invoke("sources", "export", "-o", "out.opml")
    assert parse_opml((workspace / "out.opml").read_bytes()).sources == parse_opml(exported).sources


def test_import_refuses_a_hostile_file(workspace: Path) -> None:
    bad = workspace / "bad.opml"
    bad.write_bytes(b'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
                    b'<opml version="2.0"><body><outline text="&x;" xmlUrl="https://a.example/rss"/></body></opml>')
    result = CliRunner().invoke(cli, ["sources", "import", str(bad)])
    assert result.exit_code != 0 and "refused" in str(result.exception)
    assert not (workspace / "seeds" / "sources.toml").exists()


def test_add_with_render_browser_saves_the_switch(workspace: Path) -> None:
    out = invoke("sources", "add", "https://news.example.cn/", "--name", "渲染", "--feed", "https://news.example.cn/rss",
                 "--sitemap", "https://news.example.cn/sitemap.xml", "--render", "browser", "--yes").output
    assert "render:   browser" in out
    assert 'render = "browser"' in (workspace / "seeds" / "sources.toml").read_text(encoding="utf-8")
    assert [s.render for s in load_registry(workspace / "seeds").sources] == ["browser"]
