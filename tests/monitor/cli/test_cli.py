"""The CLI over real storage (SQLite and PostgreSQL): db upgrade, seeds import twice, seeds list."""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from sqlalchemy import select

from newswatch.monitor.cli.main import cli, main
from newswatch.storage.engine import make_engine, session_factory
from newswatch.storage.migrate import head_revision
from newswatch.storage.models import Article, CorpusDocument, Source
from tests.conftest import SEEDS


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str) -> Path:
    shutil.copytree(SEEDS, tmp_path / "seeds")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NEWSWATCH_CONFIG", raising=False)
    monkeypatch.setenv("NEWSWATCH_DATABASE_URL", database_url)
    return tmp_path


def _run(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def _snapshot(database_url: str) -> list[tuple[object, ...]]:
    engine = make_engine(database_url)
    with session_factory(engine)() as session:
        rows: list[tuple[object, ...]] = []
        for model in (Source, Article, CorpusDocument):
            for row in session.execute(select(model).order_by(model.id)).scalars():
                rows.append(tuple(getattr(row, c.key) for c in model.__table__.columns))
    engine.dispose()
    return rows


def test_import_is_idempotent_and_list_shows_sources(workdir: Path, database_url: str) -> None:
    assert f"revision {head_revision()}" in _run("db", "upgrade")
    assert "5 new" in _run("seeds", "import")
    before = _snapshot(database_url)
    assert "0 new, 0 updated, 5 unchanged" in _run("seeds", "import")
    assert _snapshot(database_url) == before, "a second import changes nothing"
    records = {r["file"][:3]: r for r in map(json.loads, _run("seeds", "list", "--json").splitlines())}
    assert sorted(records) == ["000", "001", "002", "003", "004"]
    assert records["000"]["url"] == "https://new.qq.com/rain/a/20250208A073F400"
    assert records["001"]["url"].startswith("https://mp.weixin.qq.com/s?__biz=MzIyMzA5NjEyMA==&mid=2647668270")
    assert records["003"]["url"].endswith("sn=d2c2fa82cb70f8f522930fd0f1635a5b")
    assert (records["002"]["url"], records["002"]["source"]) == (None, "网易新闻")
    assert (records["004"]["url"], records["004"]["source"]) == (None, "华商报")
    assert all(r["stored"] for r in records.values())
    text = _run("seeds", "list")
    assert "网易新闻" in text and "华商报" in text and "new.qq.com/rain/a/20250208A073F400" in text


def test_changed_seed_is_updated_not_duplicated(workdir: Path, database_url: str) -> None:
    _run("db", "upgrade")
    _run("seeds", "import")
    seed = workdir / "seeds" / "002_adc70cd60a7da277.txt"
    seed.write_text(seed.read_text(encoding="utf-8") + "\n\n补充一句。\n", encoding="utf-8")
    (workdir / "seeds" / "005_broken.txt").write_bytes(b"---\ntitle: [\n---\nx\n")
    result = CliRunner().invoke(cli, ["seeds", "import"], catch_exceptions=False)
    assert "0 new, 1 updated, 4 unchanged, 1 unreadable" in result.output
    assert "005_broken.txt: broken YAML" in result.output
    engine = make_engine(database_url)
    with session_factory(engine)() as session:
        assert len(session.execute(select(CorpusDocument)).scalars().all()) == 5
    engine.dispose()


def test_commands_refuse_an_unmigrated_database(workdir: Path, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "argv", ["newswatch", "seeds", "import"])
    with pytest.raises(SystemExit) as info:
        main()
    assert info.value.code == 2
    assert "run `newswatch db upgrade`" in capsys.readouterr().err


def _commands(group: click.Group, prefix: str = "") -> Iterator[tuple[str, click.Command]]:
    """Every command below ``group``, the lazily loaded ones too (``list_commands``/``get_command``)."""
    context = click.Context(group)
    for name in group.list_commands(context):
        command = group.get_command(context, name)
        assert command is not None, name
        yield prefix + name, command
        if isinstance(command, click.Group):
            yield from _commands(command, prefix + name + " ")


@pytest.mark.parametrize("name", [n for n, _ in _commands(cli)], ids=str)
def test_every_command_has_help_with_an_example(name: str) -> None:
    output = _run(*name.split(), "--help")
    assert "Example" in output and "newswatch " in output
