"""The storage pipeline as Scrapy drives it (a child process under the asyncio reactor): items are
recorded in batches on the recording thread, one refused corpus write is that item's error only, and
the counts are those of what committed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from newswatch.crawler.pipeline.recording import THREAD_NAME
from tests.conftest import ROOT


def test_batches_are_recorded_on_the_recording_thread_and_one_failure_is_its_own(tmp_path: Path) -> None:
    child = subprocess.run([sys.executable, "-W", "error", "-m", "tests.crawler.pipeline_child", str(tmp_path)],
                           capture_output=True, text=True, timeout=120, cwd=ROOT, check=False,
                           env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert child.returncode == 0, child.stderr[-3000:]
    out = json.loads(child.stdout.strip().splitlines()[-1])
    assert "failure" not in out, out.get("failure")
    assert out["threads"] and all(THREAD_NAME in name for name in out["threads"]), out["threads"]
    assert out["main"] not in out["threads"], "no recording on the reactor thread"
    assert out["results"].count("stored") == 6 and out["results"][4].startswith("dropped: corpus_write_failed")
    assert out["errors"] == ["corpus_write_failed"]
    assert out["stats"]["newswatch/articles/new"] == 6 and out["stats"]["newswatch/corpus/written"] == 6
    assert out["files"] == 6
    # 7 items, 3 a batch: 3 batches, the one with the refused write recorded again (savepoints): 4
    assert out["transactions"] == 4, out["transactions"]
