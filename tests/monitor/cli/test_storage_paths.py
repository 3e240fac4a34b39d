"""Every command that opens storage checks its paths alike: one line naming the key, exit 2, no traceback.

``storage.data_dir`` pointing at a file used to end ``db upgrade`` (and every command but ``run`` and
``config``) in a ``FileExistsError`` traceback from the engine making the SQLite file's folder.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from newswatch.monitor.cli.main import main

COMMANDS = {
    "db-upgrade": ["db", "upgrade"],
    "status": ["status"],
    "history": ["history", "https://news.example.cn/a.html"],
    "diff": ["diff", "https://news.example.cn/a.html"],
    "export": ["export", "out"],
    "seeds-import": ["seeds", "import"],
    "seeds-list": ["seeds", "list"],
    "prune": ["prune", "--raw-pages", "1"],
    "alerts-list": ["alerts", "list"],
    "relevance": ["relevance"],
    "reextract": ["reextract"],
    "check": ["check", "https://news.example.cn/a.html"],
    "run": ["run"],
    "serve": ["serve", "--port", "1"],
    "config": ["config"],
}


@pytest.mark.parametrize("args", list(COMMANDS.values()), ids=list(COMMANDS))
def test_data_dir_that_is_a_file_is_one_line_and_exit_2(
        args: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "afile").write_text("not a folder")
    config = tmp_path / "nw.toml"
    config.write_text('[storage]\ndata_dir = "afile"\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NEWSWATCH_DATABASE_URL", raising=False)
    monkeypatch.setattr(sys, "argv", ["newswatch", "--config", str(config), *args])
    with pytest.raises(SystemExit) as stopped:
        main()
    err = capsys.readouterr().err
    assert stopped.value.code == 2
    assert err == f"newswatch: error: storage.data_dir: {tmp_path / 'afile'} is a file, not a folder\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile", "nw.toml"]  # nothing created


def test_a_folder_in_place_of_the_sqlite_file_is_named(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "db.sqlite").mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NEWSWATCH_DATABASE_URL", f"sqlite:///{tmp_path / 'db.sqlite'}")
    monkeypatch.setattr(sys, "argv", ["newswatch", "status"])
    with pytest.raises(SystemExit) as stopped:
        main()
    assert stopped.value.code == 2
    assert "is not a file" in capsys.readouterr().err
