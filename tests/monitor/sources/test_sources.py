"""The source registry and the crawl plan: named sources resolve, unknown names are listed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from newswatch.monitor.cli.main import cli
from newswatch.monitor.runs.plan import build_plan, source_statuses
from newswatch.monitor.sources.registry import Registry, load_registry, parse_registry, source_names, source_rules
from newswatch.monitor.sources.seeds import read_seeds
from newswatch.storage.errors import ConfigError
from tests.conftest import SEEDS


def test_shipped_registry_resolves_the_named_seed_sources() -> None:
    registry = load_registry(SEEDS)
    entries, problems = read_seeds(SEEDS)
    assert not problems
    statuses = {s.name: s for s in source_statuses(entries, registry)}
    assert statuses["网易新闻"].registered is not None and statuses["网易新闻"].registered.site
    assert statuses["华商报"].registered is not None
    assert all(s.resolved for s in statuses.values())


def test_plan_from_seeds_has_source_urls_links_and_sites() -> None:
    entries, _ = read_seeds(SEEDS)
    plan = build_plan(entries, load_registry(SEEDS), [])
    urls = [t.url for t in plan.articles]
    assert "https://new.qq.com/rain/a/20250208A073F400" in urls
    assert any("mid=2664162643" in u for u in urls), "article link in seed 003's body"
    assert not any("mmbiz.qpic.cn" in u or "inews.gtimg.com" in u for u in urls), "no images"
    assert all("chksm" not in u for u in urls)
    sites = {s.name for s in plan.sites}
    assert {"网易新闻", "华商报", "qq"} <= sites
    assert not any("mp.weixin.qq.com" in p for s in plan.sites for p in s.pages)


def test_unknown_source_names_are_listed_as_unresolved(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(SEEDS, tmp_path / "seeds")
    extra = tmp_path / "seeds" / "005_aaaaaaaaaaaaaaaa.txt"
    extra.write_text("# 某文\n\n正文。\n\n来源：无名小报\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NEWSWATCH_DATABASE_URL", raising=False)
    result = CliRunner().invoke(cli, ["sources", "list", "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    records = {r["name"]: r for r in map(json.loads, result.stdout.splitlines())}
    assert records["无名小报"]["state"] == "UNRESOLVED"
    assert records["网易新闻"]["state"] == "registered" and records["华商报"]["state"] == "registered"
    assert records["网易新闻"]["seeds"] == ["002_adc70cd60a7da277.txt"]
    assert records["中国信息安全"]["state"] in ("by URL", "registered")
    text = CliRunner().invoke(cli, ["sources"], catch_exceptions=False).output  # no subcommand: the list
    assert "无名小报  [UNRESOLVED]" in text and "newswatch sources add URL --name \"无名小报\"" in text
    assert "health unknown" in result.stderr  # no database yet: said so, listed anyway


def test_every_registry_source_is_planned_named_by_a_seed_or_not(tmp_path: Path) -> None:
    shutil.copytree(SEEDS, tmp_path / "seeds")
    registry = tmp_path / "seeds" / "sources.toml"
    registry.write_text(registry.read_text(encoding="utf-8") + '\n[[source]]\nname = "澎湃新闻"\n'
                        'site = "https://www.thepaper.cn/"\nsitemaps = ["https://www.thepaper.cn/sitemap.xml"]\n',
                        encoding="utf-8")
    entries, _ = read_seeds(tmp_path / "seeds")
    assert "澎湃新闻" not in {s.name for s in source_statuses(entries, load_registry(tmp_path / "seeds"))}
    plan = build_plan(entries, load_registry(tmp_path / "seeds"), [])
    sites = {s.name: s for s in plan.sites}
    assert sites["澎湃新闻"].pages == ("https://www.thepaper.cn/",)
    assert sites["澎湃新闻"].sitemaps == ("https://www.thepaper.cn/sitemap.xml",)
    assert {"网易新闻", "华商报", "qq"} <= set(sites)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('[[source]]\nsite = "https://a.example/"\n', "source[0]"),
        ('[[source]]\nname = "x"\nsite = "ftp://a.example/"\n', "source[0].site"),
        ('[[source]]\nname = "x"\nfeeds = "https://a.example/rss"\n', "source[0].feeds"),
        ('[[source]]\nname = "x"\nsitemap = []\n', "source[0].sitemap"),
        ('[[source]]\nname = "x"\ninclude = ["div["]\n', "source[0].include"),
        ('[[source]]\nname = "x"\nexclude = ["xpath:count(//p)"]\n', "source[0].exclude"),
        ('[[source]]\nname = "x"\nignore = ["("]\n', "source[0].ignore"),
        ('[[source]]\nname = "x"\nignore = [".*"]\n', "source[0].ignore"),
        ('[[source]]\nname = "x"\n[[source]]\nname = "y"\naliases = ["X"]\n', "source[1].name"),
    ],
    ids=["no-name", "bad-url", "feeds-not-list", "unknown-key", "bad-css", "xpath-value", "bad-regex",
         "regex-matching-nothing-or-all", "name-taken-by-an-alias"],
)
def test_registry_errors_name_the_entry(tmp_path: Path, text: str, key: str) -> None:
    (tmp_path / "sources.toml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_registry(tmp_path)
    assert key in info.value.key


def test_rules_are_passed_by_site_as_plain_data() -> None:
    registry = parse_registry('[[source]]\nname = "新华网"\nsite = "http://www.news.cn/"\n'
                              'feeds = ["http://www.news.cn/rss.xml"]\nexclude = ["#articleEdit"]\n'
                              "ignore = ['阅读\\s*\\d+']\n[[source]]\nname = \"新华网 English\"\n"
                              'site = "http://english.news.cn/"\nexclude = [".share"]\n'
                              '[[source]]\nname = "无规则"\nsite = "https://a.example/"\n')
    assert source_rules(registry) == {
        "news.cn": {"exclude": ("#articleEdit",), "ignore": (r"阅读\s*\d+",)},
        "english.news.cn": {"exclude": (".share",)},
    }


def test_names_are_passed_by_site_as_plain_data() -> None:
    """The corpus ``source`` of a registered site's articles: the registry's name, the first listed per site."""
    registry = parse_registry('[[source]]\nname = "新华网"\nsite = "http://www.news.cn/"\n'
                              'feeds = ["http://www.news.cn/rss.xml"]\n[[source]]\nname = "新华网 English"\n'
                              'site = "http://english.news.cn/"\n[[source]]\nname = "又一个新华"\n'
                              'site = "http://news.cn/"\n')
    assert source_names(registry) == {"news.cn": "新华网", "english.news.cn": "新华网 English"}


def test_alias_resolution_ignores_case() -> None:
    registry = load_registry(SEEDS)
    assert registry.resolve("网易") is registry.resolve("网易新闻")
    assert registry.resolve("QQ") is not None
    assert Registry().resolve("网易") is None
