"""The database unavailable at start (a clear error, exit 2) and lost in the middle of a run (its
connections terminated with ``pg_terminate_backend``): nothing half-committed, the run reports it and
finishes, the next run recovers what was lost."""

from __future__ import annotations

import uuid
from pathlib import Path

from sqlalchemy import Engine, func, select

from newswatch.storage.engine import make_engine, session_factory
from newswatch.storage.models import Article, Version
from tests.crawler.test_run import figures, migrate, newswatch, setup_workspace
from tests.faults.harness import newswatch_with
from tests.monitor.moments_site import FIXED_PORT
from tests.monitor.record_moments import cassette

TERMINATE_MID_TRANSACTION = """
import psycopg
import newswatch.monitor.changes.record as _record
_real_new_version = _record.new_version
_calls = [0]
def _new_version(*args, **kwargs):
    _calls[0] += 1
    if _calls[0] == 3:  # inside the 3rd article's transaction, after its first statements
        with psycopg.connect("host=127.0.0.1 user=postgres dbname=test", autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'APP_NAME'")
    return _real_new_version(*args, **kwargs)
_record.new_version = _new_version
"""


def test_unreachable_database_is_a_clear_error(tmp_path: Path) -> None:
    config = setup_workspace(tmp_path, f"http://127.0.0.1:{FIXED_PORT}")
    result = newswatch(config, "run", env={"NEWSWATCH_DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1:1/test"})
    assert result.returncode == 2
    assert "database unreachable" in result.stderr and "Traceback" not in result.stderr


def test_connections_lost_mid_run(tmp_path: Path, postgres_url: str) -> None:
    app_name = f"nwfault_{uuid.uuid4().hex[:12]}"  # only this run's connections: another run's stay up
    url = postgres_url + f"&application_name={app_name}"
    config = setup_workspace(tmp_path, f"http://127.0.0.1:{FIXED_PORT}")
    env = {"NEWSWATCH_DATABASE_URL": url}
    assert newswatch(config, "db", "upgrade", env=env).returncode == 0
    terminate = TERMINATE_MID_TRANSACTION.replace("APP_NAME", app_name)
    lost = newswatch_with(terminate, config, "run", "--replay", str(cassette(1)), env=env)
    assert lost.returncode == 1, lost.stderr[-3000:]
    assert "error storage_failed" in lost.stdout
    engine = make_engine(url)
    articles = _articles_with_versions(engine)
    assert 0 < len(articles) < 5
    assert all(versions >= 1 for versions in articles.values()), "no article without its version"
    again = newswatch(config, "run", "--replay", str(cassette(1)), env=env)
    assert again.returncode == 0, again.stderr[-3000:]
    assert figures(again.stdout)["new"] == 5 - len(articles)
    assert len(_articles_with_versions(engine)) == 5
    engine.dispose()


def _articles_with_versions(engine: Engine) -> dict[str, int]:
    with session_factory(engine)() as session:
        rows = session.execute(
            select(Article.canonical_url, func.count(Version.id)).outerjoin(Version).group_by(Article.canonical_url)
        ).all()
    return {url: int(n) for url, n in rows}




RECORDER_BUG = """
import newswatch.monitor.changes.record as _record
_real_new_version = _record.new_version
_calls = [0]
def _new_version(*args, **kwargs):
    _calls[0] += 1
    if _calls[0] == 2:  # a fault of the recorder itself, not of the database: the run must say so
        raise RuntimeError("recorder bug")
    return _real_new_version(*args, **kwargs)
_record.new_version = _new_version
"""


def test_a_fault_of_the_recorder_fails_the_run_and_loses_nothing(tmp_path: Path) -> None:
    config = setup_workspace(tmp_path, f"http://127.0.0.1:{FIXED_PORT}")
    migrate(config)
    broken = newswatch_with(RECORDER_BUG, config, "run", "--replay", str(cassette(1)))
    assert broken.returncode == 1, broken.stdout[-3000:]
    assert "error recorder_failed" in broken.stdout and "RuntimeError: recorder bug" in broken.stdout
    assert figures(broken.stdout)["new"] == 4
    again = newswatch(config, "run", "--replay", str(cassette(1)))
    assert again.returncode == 0, again.stderr[-3000:]
    assert figures(again.stdout)["new"] == 1
