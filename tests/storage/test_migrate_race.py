"""Schema upgrades serialise themselves: four ``newswatch db upgrade`` started at once on a fresh database
(PostgreSQL schema, SQLite file) all exit 0 and leave the schema at head, migrated once."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from newswatch.storage.engine import make_engine
from newswatch.storage.migrate import current_revision, head_revision
from tests.conftest import NEWSWATCH_CLI, ROOT

UPGRADES = 4
CODE = NEWSWATCH_CLI


def upgrade_at_once(folder: Path, url: str) -> list[subprocess.CompletedProcess[str]]:
    config = folder / "newswatch.toml"
    config.write_text("", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NEWSWATCH_DATABASE_URL": url}
    children = [subprocess.Popen([sys.executable, "-W", "error", "-c", CODE, "--config", str(config), "db", "upgrade"],
                                 cwd=folder, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                for _ in range(UPGRADES)]
    results = []
    for child in children:
        out, err = child.communicate(timeout=300)
        results.append(subprocess.CompletedProcess(child.args, child.returncode, out, err))
    return results


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_four_upgrades_at_once_on_a_fresh_database(backend: str, tmp_path: Path,
                                                   request: pytest.FixtureRequest) -> None:
    url = (f"sqlite:///{tmp_path / 'fresh' / 'newswatch.db'}" if backend == "sqlite"
           else str(request.getfixturevalue("postgres_url")))
    results = upgrade_at_once(tmp_path, url)
    for result in results:
        assert result.returncode == 0, result.stderr[-3000:]
        assert result.stdout.strip() == f"database at revision {head_revision()}"
    engine = make_engine(url)
    try:
        assert current_revision(engine) == head_revision()
        with engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM alembic_version")).scalar_one() == 1
        assert {"articles", "versions", "alert_outbox", "crawl_runs"} <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
