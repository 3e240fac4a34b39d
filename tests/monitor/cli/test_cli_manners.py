"""The CLI's manners: ``--version``, ``--config`` before or after the command, ``newswatch config``
showing each value's origin (and no password), environment errors naming the variable."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest
from click.testing import CliRunner

from newswatch.monitor.cli.main import cli
from tests.conftest import NEWSWATCH_CLI, ROOT


def newswatch(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``newswatch`` as a user types it (the console entry point, exit statuses included)."""
    code = NEWSWATCH_CLI
    environ = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run([sys.executable, "-W", "error", "-c", code, *args], capture_output=True, text=True,
                          cwd=cwd, env=environ, timeout=120, check=False)


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "elsewhere.toml").write_text('[crawl]\nretries = 7\n[storage]\ndata_dir = "d7"\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    for name in ("NEWSWATCH_CONFIG", "NEWSWATCH_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def test_version(folder: Path) -> None:
    result = newswatch("--version", cwd=folder)
    assert (result.returncode, result.stdout.strip()) == (0, f"newswatch {version('newswatch')}")


@pytest.mark.parametrize(
    "args",
    [["--config", "elsewhere.toml", "config"], ["config", "--config", "elsewhere.toml"]],
    ids=["before", "after"],
)
def test_config_before_or_after_the_command(folder: Path, args: list[str]) -> None:
    shown = json.loads(CliRunner().invoke(cli, args, catch_exceptions=False).output)
    assert shown["crawl"]["retries"] == 7 and shown["origins"]["crawl.retries"] == "file elsewhere.toml"


@pytest.mark.parametrize(
    "args",
    [["db", "upgrade", "--config", "elsewhere.toml"], ["db", "--config", "elsewhere.toml", "upgrade"],
     ["--config", "elsewhere.toml", "db", "upgrade"]],
    ids=["after-subcommand", "between-group-and-subcommand", "before-everything"],
)
def test_config_anywhere_in_a_nested_command(folder: Path, args: list[str]) -> None:
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert (folder / "d7" / "newswatch.db").exists(), "the database of elsewhere.toml"


def test_config_after_the_command_wins_over_the_environment(folder: Path) -> None:
    (folder / "other.toml").write_text("[crawl]\nretries = 3\n", encoding="utf-8")
    result = newswatch("config", "--config", "elsewhere.toml", cwd=folder, env={"NEWSWATCH_CONFIG": "other.toml"})
    assert json.loads(result.stdout)["crawl"]["retries"] == 7
    twice = newswatch("--config", "other.toml", "config", "--config", "elsewhere.toml", cwd=folder)
    assert twice.returncode == 2 and "--config given twice" in twice.stderr


@pytest.mark.postgres
def test_config_shows_origins_and_hides_the_database_password(folder: Path, postgres_server: str) -> None:
    # `config` connects to the database (the checks of `run`): a reachable server, trust auth ignores the password
    url = postgres_server.replace("postgres@", "postgres:hunter2@", 1)
    env = {"NEWSWATCH_CRAWL__DOWNLOAD_DELAY": "0.5", "NEWSWATCH_DATABASE_URL": url}
    result = newswatch("--config", "elsewhere.toml", "config", cwd=folder, env=env)
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown["crawl"]["download_delay"] == 0.5
    assert shown["origins"]["crawl.download_delay"] == "env NEWSWATCH_CRAWL__DOWNLOAD_DELAY"
    assert shown["origins"]["crawl.retries"] == "file elsewhere.toml"
    assert shown["origins"]["crawl.max_depth"] == "default"
    assert shown["database_url"] == url.replace("hunter2", "***")
    assert "hunter2" not in result.stdout


def test_an_unreachable_database_is_refused_with_its_password_hidden(folder: Path) -> None:
    env = {"NEWSWATCH_DATABASE_URL": "postgresql+psycopg://nw:hunter2@db.invalid/nw"}
    result = newswatch("--config", "elsewhere.toml", "config", cwd=folder, env=env)
    assert result.returncode == 2
    assert result.stderr.startswith("newswatch: error: NEWSWATCH_DATABASE_URL: database unreachable at "
                                    "postgresql+psycopg://nw:***@db.invalid/nw")
    assert "hunter2" not in result.stderr + result.stdout


def test_a_bad_variable_is_a_configuration_error_naming_it(folder: Path) -> None:
    result = newswatch("config", cwd=folder, env={"NEWSWATCH_CRAWL__RETRIES": "many"})
    assert result.returncode == 2
    assert result.stderr.strip() == "newswatch: error: NEWSWATCH_CRAWL__RETRIES: expected an integer, got 'many'"
