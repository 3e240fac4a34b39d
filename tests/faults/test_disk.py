"""Disk full for the corpus folder (a simulated ENOSPC on every corpus write): the run reports it, storage
does not claim files that were not written, and once there is room again the next run writes them."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from newswatch.storage.engine import make_engine, session_factory
from newswatch.storage.models import Article
from tests.crawler.test_run import figures, newswatch, setup_workspace, stored
from tests.faults.harness import newswatch_with
from tests.monitor.moments_site import FIXED_PORT
from tests.monitor.record_moments import cassette

DISK_FULL = """
import errno, os, tempfile
_real_mkstemp = tempfile.mkstemp
def _mkstemp(*args, **kwargs):
    if "/corpus" in str(kwargs.get("dir", "")):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    return _real_mkstemp(*args, **kwargs)
tempfile.mkstemp = _mkstemp
"""


def test_disk_full_is_reported_and_nothing_is_claimed(tmp_path: Path) -> None:
    config = setup_workspace(tmp_path, f"http://127.0.0.1:{FIXED_PORT}")
    full = newswatch_with(DISK_FULL, config, "run", "--replay", str(cassette(1)))
    assert full.returncode == 1, full.stderr[-2000:]
    assert full.stdout.count("error corpus_write_failed") == 5 and "No space left on device" in full.stdout
    assert figures(full.stdout)["new"] == 0
    assert stored(tmp_path) == {}, "no article is stored whose corpus file was not written"
    assert not list((tmp_path / "data" / "corpus").glob("*.txt"))
    room = newswatch(config, "run", "--replay", str(cassette(1)))
    assert room.returncode == 0, room.stderr[-2000:]
    assert figures(room.stdout)["new"] == 5
    engine = make_engine(f"sqlite:///{tmp_path / 'data' / 'newswatch.db'}")
    with session_factory(engine)() as session:
        files = session.execute(select(Article.corpus_file)).scalars().all()
    engine.dispose()
    assert sorted(files) == sorted(p.name for p in (tmp_path / "data" / "corpus").glob("*.txt"))
