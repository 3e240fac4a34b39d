"""The test workspace: layout under tmp_path, the config newswatch reads, seeds, sources, TOML text."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from newswatch.monitor.testing import Source, Workspace
from newswatch.monitor.testing.records import parse_summary
from newswatch.monitor.testing.tomltext import table
from newswatch.storage.corpus.document import parse_document
from newswatch.storage.errors import ConfigError, ReplayError
from tests.conftest import SEEDS

SEED = next(SEEDS.glob("003_*.txt"))


@pytest.fixture
def newswatch_seeds() -> list[Path]:
    return [SEED]  # overriding the plugin's fixture: the workspace gets a copy of this seed


def test_workspace_lives_under_tmp_path_and_its_config_is_valid(newswatch_workspace: Workspace,
                                                                  tmp_path: Path) -> None:
    ws = newswatch_workspace
    for path in (ws.config_path, ws.seeds_dir, ws.corpus_dir, ws.database_path):
        assert path.is_relative_to(tmp_path)
    assert ws.config_path.is_file() and ws.seeds_dir.is_dir() and ws.corpus_dir.is_dir()
    shown = ws.newswatch("config")  # newswatch's own validation of the file the workspace wrote
    assert shown.returncode == 0, shown.stderr
    upgraded = ws.newswatch("db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    assert ws.database_path.is_file()
    config = tomllib.loads(ws.config_path.read_text(encoding="utf-8"))
    assert config["schedule"]["articles"] == ["3650d=0s"] and config["crawl"]["download_delay"] == 0.0
    assert (ws.root / config["storage"]["corpus_dir"]).resolve() == ws.corpus_dir


def test_given_seed_documents_are_copied_and_read_by_newswatch(newswatch_workspace: Workspace) -> None:
    copy = newswatch_workspace.seeds_dir / SEED.name
    assert copy.read_bytes() == SEED.read_bytes()
    listed = newswatch_workspace.newswatch("seeds", "list")
    assert listed.returncode == 0, listed.stderr
    assert SEED.name in listed.stdout
    assert parse_document(SEED.read_text(encoding="utf-8"), SEED.name).title in listed.stdout


def test_sources_become_the_registry_newswatch_resolves(newswatch_workspace: Workspace) -> None:
    ws = newswatch_workspace
    ws.set_sources([Source("示例新闻", "https://news.example.org/", feeds=("https://news.example.org/rss",)),
                    Source('Quote "and" slash \\', "https://other.example.org/")])
    registry = tomllib.loads((ws.seeds_dir / "sources.toml").read_text(encoding="utf-8"))
    assert registry["source"][0] == {"name": "示例新闻", "site": "https://news.example.org/",
                                     "feeds": ["https://news.example.org/rss"]}
    assert registry["source"][1]["name"] == 'Quote "and" slash \\'
    listed = ws.newswatch("sources")  # newswatch resolves both names through the registry
    assert listed.returncode == 0, listed.stderr
    assert "示例新闻" in listed.stdout and "UNRESOLVED" not in listed.stdout
    ws.set_sources({"Only": "https://only.example.org/"})  # replaces the previous sources
    registry = tomllib.loads((ws.seeds_dir / "sources.toml").read_text(encoding="utf-8"))
    assert registry == {"source": [{"name": "Only", "site": "https://only.example.org/"}]}
    assert [p.name for p in ws.seeds_dir.glob("*.txt")] == [SEED.name]  # no seed documents of its own


@pytest.mark.parametrize(("sources", "key"), [
    ({"": "https://x.example/"}, "sources[0]"),
    ([Source("no site")], "sources[0]"),
    ([Source("a", "https://a.example/"), Source("a", "https://b.example/")], "sources[1].name"),
], ids=["empty-name", "nothing-to-crawl", "duplicate"])
def test_bad_sources_are_refused_naming_the_entry(newswatch_workspace: Workspace, sources: object,
                                                  key: str) -> None:
    with pytest.raises(ConfigError) as caught:
        newswatch_workspace.set_sources(sources)  # type: ignore[arg-type]
    assert caught.value.key == key


def test_seed_that_is_not_a_document_is_refused(newswatch_workspace: Workspace, tmp_path: Path) -> None:
    (tmp_path / "notes.md").write_text("x", encoding="utf-8")
    with pytest.raises(ConfigError, match="expected an existing seed document"):
        newswatch_workspace.add_seeds(tmp_path / "notes.md")
    with pytest.raises(ConfigError, match="already has a seed"):
        newswatch_workspace.add_seeds(SEED)


def test_configure_reaches_newswatch_and_its_validation(newswatch_workspace: Workspace) -> None:
    newswatch_workspace.configure(crawl={"max_depth": 1, "allow_networks": ["127.0.0.0/8"]})
    config = tomllib.loads(newswatch_workspace.config_text())
    assert config["crawl"] == {"download_delay": 0.0, "max_depth": 1, "allow_networks": ["127.0.0.0/8"]}
    assert "download_delay" not in tomllib.loads(newswatch_workspace.config_text(replaying=False)).get("crawl", {})
    newswatch_workspace.configure(crawl={"no_such_key": 1})
    newswatch_workspace.write_config()
    shown = newswatch_workspace.newswatch("config")
    assert shown.returncode == 2 and "crawl.no_such_key" in shown.stderr


@pytest.mark.parametrize(("entries", "expected"), [
    ({"s": "中文 \"q\" \\ \n\t"}, {"s": "中文 \"q\" \\ \n\t"}),
    ({"n": 3, "f": 0.25, "b": False}, {"n": 3, "f": 0.25, "b": False}),
    ({"l": ["a", "新"], "e": []}, {"l": ["a", "新"], "e": []}),
    ({"odd key": 1, "点": 2}, {"odd key": 1, "点": 2}),
    ({"a": 1, "sub": {"b": "x", "deeper": {"c": True}}}, {"a": 1, "sub": {"b": "x", "deeper": {"c": True}}}),
    ({"c": "a\x01b\x7fc\u2028d\r\x1f'''", "x": 1e300, "big": 2**62},
     {"c": "a\x01b\x7fc\u2028d\r\x1f'''", "x": 1e300, "big": 2**62}),
], ids=["string-escapes", "numbers-and-bools", "lists", "quoted-keys", "sub-tables", "control-characters"])
def test_toml_tables_round_trip_through_tomllib(entries: dict[str, object], expected: dict[str, object]) -> None:
    text = table("t", entries, "t")
    assert tomllib.loads(text) == {"t": expected}


def test_toml_arrays_of_tables_under_a_dotted_name_round_trip() -> None:
    text = "\n".join(table("alerts.channels", {"name": name, "kind": "email"}, f"channels[{i}]", array=True)
                     for i, name in enumerate(("值班", "desk")))
    assert text.startswith("[[alerts.channels]]\n")
    assert tomllib.loads(text) == {"alerts": {"channels": [{"name": "值班", "kind": "email"},
                                                          {"name": "desk", "kind": "email"}]}}


@pytest.mark.parametrize("raw", [float("nan"), [1, 2], None, {"x", "y"}], ids=["nan", "ints", "none", "set"])
def test_toml_values_a_config_cannot_hold_name_the_key(raw: object) -> None:
    with pytest.raises(ConfigError) as caught:
        table("crawl", {"bad": raw}, "crawl")
    assert caught.value.key == "crawl.bad"


@pytest.mark.parametrize(("stdout", "outcome"), [
    ('noise\n{"run": 3, "outcome": "partial", "figures": {"new": 1}, "errors": [{"kind": "http_404", "url": "u", '
     '"detail": "d"}], "rejected": [{"reason": "list_page", "url": "v"}], "cassette_missing": 2}\n', "partial"),
    ('{"run": 1, "outcome": "ok", "figures": {}}', "ok"),
    ("run 1: ok\n  fetched 3\n", None),
    ("", None),
], ids=["full", "minimal", "text-output", "empty"])
def test_run_summary_is_read_from_the_json_line(stdout: str, outcome: str | None) -> None:
    summary = parse_summary(stdout, 1)
    assert (summary.outcome if summary else None) == outcome
    if summary and outcome == "partial":
        assert summary.figure("new") == 1 and summary.figure("absent") == 0
        assert summary.errors[0].kind == "http_404" and summary.rejected == (("list_page", "v"),)
        assert summary.cassette_missing == 2 and summary.exit_status == 1


def test_unreadable_summary_is_a_replay_error() -> None:
    with pytest.raises(ReplayError, match="cannot read"):
        parse_summary('{"outcome": "ok", "figures": {"new": "many"}}', 0)


def test_a_list_entry_cannot_hold_a_table() -> None:
    with pytest.raises(ConfigError) as caught:
        table("source", {"name": "x", "sub": {"a": 1}}, "sources[0]", array=True)
    assert caught.value.key == "sources[0].sub"


def test_storage_retention_reaches_newswatch_as_a_sub_table(newswatch_workspace: Workspace) -> None:
    newswatch_workspace.configure(storage={"retention": {"runs_days": 30}})
    config = tomllib.loads(newswatch_workspace.write_config().read_text(encoding="utf-8"))
    assert config["storage"]["retention"] == {"runs_days": 30} and config["storage"]["seeds_dir"] == "seeds"
    shown = newswatch_workspace.newswatch("config")
    assert shown.returncode == 0, shown.stderr


@pytest.mark.parametrize(("sections", "key"), [
    ({"storage": {"database_url": "postgresql+psycopg://x/y"}}, "storage.database_url"),
    ({"storage": {"corpus_dir": "/elsewhere"}}, "storage.corpus_dir"),
    ({"alerts": {"channels": []}}, "alerts.channels"),
    ({"crawl": ["not", "a", "table"]}, "crawl"),
], ids=["database-url", "corpus-dir", "channels", "not-a-table"])
def test_configure_refuses_what_the_workspace_owns(newswatch_workspace: Workspace, sections: dict[str, object],
                                                    key: str) -> None:
    before = newswatch_workspace.config_text()
    with pytest.raises(ConfigError) as caught:
        newswatch_workspace.configure(**sections)  # type: ignore[arg-type]
    assert caught.value.key == key and newswatch_workspace.config_text() == before


def test_the_callers_newswatch_environment_stays_out(newswatch_workspace: Workspace,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSWATCH_CONFIG", "/nonexistent/newswatch.toml")
    monkeypatch.setenv("NEWSWATCH_DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/elsewhere")
    monkeypatch.setenv("NEWSWATCH_CRAWL__MAX_DEPTH", "not a number")
    shown = newswatch_workspace.newswatch("config")
    assert shown.returncode == 0, shown.stderr
    assert "elsewhere" not in shown.stdout and str(newswatch_workspace.root) in shown.stdout
    assert not any(k.startswith("NEWSWATCH_") for k in newswatch_workspace.environment())
    assert newswatch_workspace.environment({"NEWSWATCH_X": "1"})["NEWSWATCH_X"] == "1"  # unless given
