"""SIGKILL in the middle of a run — mid-crawl (inside a recording transaction, after a batch committed)
and mid-corpus-write (a committed batch's files half renamed) — then a restart: no corpus file
half-written, none that storage does not know; after the restart storage and corpus agree
(``newswatch export`` reproduces the corpus) and the next run completes."""

from __future__ import annotations

import filecmp
import shutil
import signal
from pathlib import Path

import pytest
from sqlalchemy import select

from newswatch.storage.corpus.folder import load_corpus
from newswatch.storage.engine import make_engine, session_factory
from newswatch.storage.models import Article, CrawlRun
from tests.crawler.test_run import figures, newswatch, setup_workspace, stored
from tests.faults.harness import kill_on_call, newswatch_with
from tests.monitor.moments_site import FIXED_PORT
from tests.monitor.record_moments import cassette

BASE = f"http://127.0.0.1:{FIXED_PORT}"
REPLACE_KILL = """
import os, signal
_real_replace = os.replace
def _replace(src, dst, *args, **kwargs):
    if str(dst).endswith(".txt") and "/corpus/" in str(dst):
        _n = int(os.environ.get("_NW_WRITES", "0")) + 1
        os.environ["_NW_WRITES"] = str(_n)
        if _n == 3:
            os.kill(os.getpid(), signal.SIGKILL)
    return _real_replace(src, dst, *args, **kwargs)
os.replace = _replace
"""

SMALL_BATCHES = """
import newswatch.crawler.pipeline.recording as _pipelines
_pipelines.BATCH_ITEMS = 2  # the first two articles commit as one batch before the kill
"""

POINTS = {
    "mid-crawl": SMALL_BATCHES + kill_on_call("newswatch.monitor.changes.record", "ChangeRecorder", "fetched", 3),
    "mid-corpus-write": REPLACE_KILL,
}


def consistent(folder: Path, config: Path, killed: bool = False) -> None:
    """Every corpus file whole and as storage says; all of storage's files there (``killed``: a killed
    run may leave some of a committed batch's files to the next start, never a file storage lacks)."""
    corpus = folder / "data" / "corpus"
    load = load_corpus(corpus)
    assert not load.problems, load.problems  # every corpus file is whole
    exported = folder / "export"
    shutil.rmtree(exported, ignore_errors=True)
    assert newswatch(config, "export", str(exported)).returncode == 0
    names = sorted(p.name for p in corpus.glob("*.txt"))
    claimed = sorted(p.name for p in exported.glob("*.txt"))
    assert set(names) <= set(claimed), "no corpus file that storage does not know"
    assert killed or names == claimed, "storage and corpus name the same files"
    _match, mismatch, errors = filecmp.cmpfiles(corpus, exported, names, shallow=False)
    assert (mismatch, errors) == ([], [])


@pytest.mark.parametrize("point", sorted(POINTS), ids=str)
def test_kill_then_restart(tmp_path: Path, point: str) -> None:
    config = setup_workspace(tmp_path, BASE)
    killed = newswatch_with(POINTS[point], config, "run", "--replay", str(cassette(1)))
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    partial = stored(tmp_path, killed=True)
    assert 0 < len(partial) < 5 or point == "mid-corpus-write"
    consistent(tmp_path, config, killed=True)
    if point == "mid-corpus-write":  # a committed batch, half renamed: the next start writes the rest
        assert len(_claimed(tmp_path)) > len(list((tmp_path / "data" / "corpus").glob("*.txt")))
    again = newswatch(config, "run", "--replay", str(cassette(1)))
    assert again.returncode == 0, again.stderr[-2000:]
    numbers = figures(again.stdout)
    assert numbers["new"] + numbers["unchanged"] == 5
    assert len(stored(tmp_path)) == 5 and all(v >= 1 for v in stored(tmp_path).values())
    consistent(tmp_path, config)
    assert len(list((tmp_path / "data" / "corpus").glob("*.txt"))) == 5
    engine = make_engine(f"sqlite:///{tmp_path / 'data' / 'newswatch.db'}")
    with session_factory(engine)() as session:
        outcomes = session.execute(select(CrawlRun.outcome).order_by(CrawlRun.id)).scalars().all()
    engine.dispose()
    assert outcomes == ["abandoned", "ok"], "the killed run is closed as abandoned by the next one"


def _claimed(folder: Path) -> list[str]:
    engine = make_engine(f"sqlite:///{folder / 'data' / 'newswatch.db'}")
    with session_factory(engine)() as session:
        files = session.execute(select(Article.corpus_file).where(Article.corpus_file.is_not(None))).scalars().all()
    engine.dispose()
    return [name for name in files if name is not None]
