"""``newswatch prune`` as a user runs it, after two replayed moments of a changing site: the dry run
says what would go and changes nothing; the prune drops old raw pages only, and history, diffs and
re-extraction read the same afterwards."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from newswatch.storage.engine import make_engine, session_factory
from newswatch.storage.models import Anomaly, Version
from tests.crawler.test_run import newswatch, setup_workspace
from tests.monitor.moments_site import FIXED_PORT, path
from tests.monitor.record_moments import cassette

BASE = f"http://127.0.0.1:{FIXED_PORT}"


def raw_pages(folder: Path) -> tuple[int, int]:
    engine = make_engine(f"sqlite:///{folder / 'data' / 'newswatch.db'}")
    with session_factory(engine)() as session:
        versions = session.execute(select(func.count()).where(Version.raw_html.is_not(None))).scalar_one()
        anomalies = session.execute(select(func.count()).where(Anomaly.raw_html.is_not(None))).scalar_one()
    engine.dispose()
    return int(versions), int(anomalies)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("prune")
    config = setup_workspace(folder, BASE)
    for moment in (1, 2):
        result = newswatch(config, "run", "--replay", str(cassette(moment)))
        assert result.returncode == 0, result.stderr
    return folder, config


def test_prune_without_retention_says_it_is_off(workspace: tuple[Path, Path]) -> None:
    _folder, config = workspace
    result = newswatch(config, "prune")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("retention is off: set raw_pages, outbox_days or runs_days")


def test_dry_run_then_prune_keeps_history_and_diffs(workspace: tuple[Path, Path]) -> None:
    folder, config = workspace
    before = raw_pages(folder)
    assert before == (8, 1), "six articles, two changed (a, e), one anomaly (d)"
    views = [("history", BASE + path("a")), ("diff", BASE + path("a"), "--from", "1", "--to", "2"),
             ("diff", BASE + path("e"), "--format", "json")]
    shown = [newswatch(config, *view).stdout for view in views]

    dry = newswatch(config, "prune", "--dry-run", "--raw-pages", "1")
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.splitlines()[0].startswith("raw pages: would drop 2 of versions and 0 of anomalies")
    assert "dry run: nothing was changed" in dry.stdout
    assert raw_pages(folder) == before

    done = newswatch(config, "prune", "--raw-pages", "1")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("raw pages: dropped 2 of versions and 0 of anomalies")
    assert raw_pages(folder) == (6, 1), "a's and e's first pages went; d's latest version and anomaly stay"
    assert [newswatch(config, *view).stdout for view in views] == shown, "history and diffs read the same"
    again = newswatch(config, "reextract")
    assert again.returncode == 0 and "same 6" in again.stdout and "without stored page 0" in again.stdout, again.stdout
    assert newswatch(config, "prune", "--raw-pages", "1").stdout.startswith("raw pages: dropped 0 of versions")
