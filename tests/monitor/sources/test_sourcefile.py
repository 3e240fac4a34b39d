"""Editing sources.toml in place: comments and layout survive every edit; a bad edit writes nothing."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest

from newswatch.monitor.sources.registry import RegisteredSource, load_registry, parse_registry
from newswatch.monitor.sources.sourcefile import (
    HEADER,
    add_sources,
    import_sources,
    plan_import,
    remove_source,
    update_sources,
)
from newswatch.storage.errors import ConfigError
from tests.conftest import SEEDS

NEW = RegisteredSource("澎湃新闻", aliases=("澎湃",), site="https://www.thepaper.cn/",
                       feeds=("https://www.thepaper.cn/rss.xml",), exclude=(".ad",), ignore=(r"阅读\s*\d+",))

HAND_WRITTEN = """\
# my sources, by hand

[[source]]   # the first one
name = "甲"
site = "https://a.example/"  # home page

# 乙 is a WeChat account
[[source]]
name = "乙"
discover = false
# (no feed)

[[source]]
name = "丙"
feeds = [
    "https://c.example/rss",  # the main feed
]
"""


@pytest.fixture
def registry_file(tmp_path: Path) -> Path:
    shutil.copy(SEEDS / "sources.toml", tmp_path / "sources.toml")
    return tmp_path / "sources.toml"


def test_add_then_remove_gives_the_file_back_byte_for_byte(registry_file: Path) -> None:
    original = registry_file.read_bytes()
    add_sources(registry_file, [NEW])
    text = registry_file.read_text(encoding="utf-8")
    assert text.startswith(original.decode("utf-8").rstrip("\n")), "nothing before the new table moved"
    assert load_registry(registry_file.parent).resolve("澎湃") == NEW
    assert remove_source(registry_file, "澎湃") == NEW
    assert registry_file.read_bytes() == original


@pytest.mark.parametrize(
    ("name", "gone", "kept"),
    [("甲", ["# the first one", "# home page"],
      ["# my sources, by hand", "# 乙 is a WeChat account", "# the main feed"]),
     ("乙", ["# 乙 is a WeChat account", "# (no feed)"], ["# the first one", "# home page", "# the main feed"]),
     ("丙", ["# the main feed"], ["# my sources, by hand", "# 乙 is a WeChat account", "# (no feed)"])],
    ids=["first", "middle-with-a-comment-above-it", "last"],
)
def test_remove_takes_its_own_comments_only(tmp_path: Path, name: str, gone: list[str], kept: list[str]) -> None:
    path = tmp_path / "sources.toml"
    path.write_text(HAND_WRITTEN, encoding="utf-8")
    remove_source(path, name)
    text = path.read_text(encoding="utf-8")
    assert all(comment not in text for comment in gone)
    assert all(comment in text for comment in kept)
    assert [s.name for s in parse_registry(text).sources] == [n for n in ("甲", "乙", "丙") if n != name]
    assert "\n\n\n" not in text and text.endswith("\n") and not text.endswith("\n\n")


def test_new_feeds_for_a_known_source_keep_the_layout(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_text(HAND_WRITTEN, encoding="utf-8")
    registry = parse_registry(HAND_WRITTEN)
    first, third = registry.sources[0], registry.sources[2]
    update_sources(path, [dataclasses.replace(first, feeds=("https://a.example/feed",)),
                          dataclasses.replace(third, feeds=(*third.feeds, "https://c.example/atom"))])
    text = path.read_text(encoding="utf-8")
    for line in HAND_WRITTEN.splitlines():
        if line.strip().startswith("#") or "# " in line:
            assert line in text, line
    found = load_registry(tmp_path)
    assert found.resolve("甲") is not None and found.resolve("甲").feeds == ("https://a.example/feed",)  # type: ignore[union-attr]
    assert found.resolve("丙").feeds == ("https://c.example/rss", "https://c.example/atom")  # type: ignore[union-attr]


def test_a_new_file_gets_the_documented_header(tmp_path: Path) -> None:
    add_sources(tmp_path / "sources.toml", [NEW])
    text = (tmp_path / "sources.toml").read_text(encoding="utf-8")
    assert text.startswith(HEADER) and load_registry(tmp_path).sources == (NEW,)


def test_nothing_is_written_when_the_result_would_be_wrong(registry_file: Path) -> None:
    original = registry_file.read_bytes()
    with pytest.raises(ConfigError, match="already the name or an alias"):
        add_sources(registry_file, [RegisteredSource("网易")])  # an alias of 网易新闻
    with pytest.raises(ConfigError, match="no source called"):
        remove_source(registry_file, "无名小报")
    with pytest.raises(ConfigError, match="include"):
        add_sources(registry_file, [RegisteredSource("坏规则", site="https://x.example/", include=("div[",))])
    assert registry_file.read_bytes() == original


def test_inline_sources_are_edited_by_tomlkit(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_text('# inline\nsource = [{name = "甲", site = "https://a.example/"}, {name = "乙"}]\n',
                    encoding="utf-8")
    remove_source(path, "乙")
    assert "# inline" in path.read_text(encoding="utf-8")
    assert [s.name for s in load_registry(tmp_path).sources] == ["甲"]


def test_import_plan_merges_by_name_and_skips_what_is_there() -> None:
    registry = load_registry(SEEDS)
    incoming = [
        RegisteredSource("163", feeds=("https://news.163.com/special/00011K6L/rss_newstop.xml",)),  # alias, known feed
        RegisteredSource("华商报", feeds=("https://news.hsw.cn/rss.xml",)),  # known name, new feed
        RegisteredSource("网易新闻 again", site="https://news.163.com/"),  # every URL registered
        RegisteredSource("澎湃新闻", aliases=("qq",), feeds=("https://www.thepaper.cn/rss.xml",)),  # new; alias taken
    ]
    plan = plan_import(registry, incoming)
    assert plan.unchanged == ("163", "网易新闻 again")
    assert [(s.name, s.feeds) for s in plan.updated] == [("华商报", ("https://news.hsw.cn/rss.xml",))]
    assert [(s.name, s.aliases) for s in plan.added] == [("澎湃新闻", ())]


def test_import_applies_the_plan(registry_file: Path) -> None:
    comments = [line for line in registry_file.read_text(encoding="utf-8").splitlines() if line.startswith("#")]
    import_sources(registry_file, [RegisteredSource("华商报", feeds=("https://news.hsw.cn/rss.xml",)), NEW])
    text = registry_file.read_text(encoding="utf-8")
    assert all(line in text for line in comments)
    registry = load_registry(registry_file.parent)
    assert registry.resolve("华商报").feeds == ("https://news.hsw.cn/rss.xml",)  # type: ignore[union-attr]
    assert registry.resolve("澎湃新闻") == NEW
