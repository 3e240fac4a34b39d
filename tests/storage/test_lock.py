"""One run at a time per storage; a killed run does not block the next one."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from newswatch.storage.engine import make_engine
from newswatch.storage.lock import RunLocked, advisory_key, run_lock
from tests.conftest import NEWSWATCH_CLI
from tests.crawler.site_server import SiteServer
from tests.crawler.test_run import ROOT, newswatch, setup_workspace


def test_postgres_advisory_lock_is_released_when_the_holder_dies(postgres_url: str) -> None:
    holder, other = make_engine(postgres_url), make_engine(postgres_url)
    try:
        with run_lock(holder), pytest.raises(RunLocked, match="another newswatch run"), run_lock(other):
            pass
        with run_lock(other):
            pass
        dying = holder.connect()  # a run whose process dies holding the lock, without unlocking
        key = advisory_key(dying, "newswatch.run")
        pid = dying.execute(text("SELECT pg_backend_pid()")).scalar()
        assert dying.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar()
        with pytest.raises(RunLocked), run_lock(other):
            pass
        dying.invalidate()  # the connection is dropped, as when the process is killed
        _wait_for_backend_exit(other, pid)  # the server notices the closed socket asynchronously
        with run_lock(other):
            pass
    finally:
        holder.dispose()
        other.dispose()


def _wait_for_backend_exit(engine: Engine, pid: int | None, deadline: float = 30.0) -> None:
    """Until the server has ended the dropped connection's backend (it then releases its locks)."""
    end = time.monotonic() + deadline
    with engine.connect() as connection:
        while time.monotonic() < end:
            query = text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid")
            if not connection.execute(query, {"pid": pid}).scalar():
                return
            connection.rollback()
            time.sleep(0.05)


def test_second_run_exits_at_once_and_a_killed_run_does_not_block(tmp_path: Path) -> None:
    with SiteServer() as server:
        server.add("/", b'<html><body><a href="/2025/06/01/slow.html">x</a></body></html>',
                   headers={"Content-Type": "text/html"})
        server.add_hang("/2025/06/01/slow.html")
        config = setup_workspace(tmp_path, server.base_url)
        code = NEWSWATCH_CLI
        first = subprocess.Popen([sys.executable, "-c", code, "--config", str(config), "run"], cwd=tmp_path,
                                 env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 60
            while server.hits("/2025/06/01/slow.html") == 0 and time.monotonic() < deadline:
                time.sleep(0.1)
            assert server.hits("/2025/06/01/slow.html"), "the first run never got going"
            second = newswatch(config, "run")
            assert second.returncode == 75, second.stderr
            assert "another newswatch run" in second.stderr
            assert first.poll() is None, "the second run exited while the first still held the lock"
        finally:
            first.send_signal(signal.SIGKILL)
            first.communicate(timeout=10)
        third = newswatch(config, "run", "--json")
    assert third.returncode in (0, 1), third.stderr
    assert json.loads(third.stdout)["outcome"] in ("ok", "partial")


def _alias(tmp_path: Path, real: Path, link: str) -> Path:
    """Another spelling of ``real``: a symlink to the file (another lock file name unless resolved), to its
    folder, or a path through ``..`` (the same lock file either way; kept as regressions)."""
    if link == "file":
        alias = tmp_path / "alias.db"
        alias.symlink_to(real)
        return alias
    if link == "folder":
        (tmp_path / "alias").symlink_to(real.parent, target_is_directory=True)
        return tmp_path / "alias" / real.name
    return real.parent / ".." / real.parent.name / real.name


@pytest.mark.parametrize("link", ["file", "folder", "dotdot"], ids=["symlinked-file", "symlinked-folder", "dotdot"])
def test_every_spelling_of_the_database_path_takes_the_same_lock(tmp_path: Path, link: str) -> None:
    real = tmp_path / "data" / "newswatch.db"
    real.parent.mkdir()
    real.touch()
    holder, other = make_engine(f"sqlite:///{real}"), make_engine(f"sqlite:///{_alias(tmp_path, real, link)}")
    try:
        with run_lock(holder), pytest.raises(RunLocked, match="another newswatch run"), run_lock(other):
            pass
        with run_lock(other):  # released: free again
            pass
    finally:
        holder.dispose()
        other.dispose()


def test_a_second_run_through_a_symlinked_database_exits_75(tmp_path: Path) -> None:
    with SiteServer() as server:
        server.add("/", b'<html><body><a href="/2025/06/01/slow.html">x</a></body></html>',
                   headers={"Content-Type": "text/html"})
        server.add_hang("/2025/06/01/slow.html")
        config = setup_workspace(tmp_path, server.base_url)
        (tmp_path / "elsewhere.db").symlink_to(tmp_path / "data" / "newswatch.db")  # another name, same file
        via_link = {"NEWSWATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'elsewhere.db'}"}
        code = NEWSWATCH_CLI
        first = subprocess.Popen([sys.executable, "-c", code, "--config", str(config), "run"], cwd=tmp_path,
                                 env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 60
            while server.hits("/2025/06/01/slow.html") == 0 and time.monotonic() < deadline:
                time.sleep(0.1)
            assert server.hits("/2025/06/01/slow.html"), "the first run never got going"
            second = newswatch(config, "run", env=via_link)
        finally:
            first.send_signal(signal.SIGKILL)
            first.communicate(timeout=10)
    assert second.returncode == 75, second.stderr
    assert "another newswatch run" in second.stderr
    assert server.hits("/") == 1, "the second run crawled nothing"
