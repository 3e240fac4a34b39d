"""The extraction pool's workers do not run the crawl's main module again (``crawler.extract.workermain``):
the ``newswatch`` console script (a path) or ``python -m``'s module (a name) is imported once, by the crawl's
process; the workers import only what extraction needs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

# a main module that leaves a mark (a file named by its process id) wherever it is imported
MAIN = """
import os
from pathlib import Path

Path(os.environ["MARKS"], str(os.getpid())).touch()

if __name__ == "__main__":
    import asyncio
    from newswatch.crawler.extract import pool as extraction
    from newswatch.crawler.extract.reading import Page

    if os.environ.get("STOCK_PRELOAD"):
        extraction.PRELOAD = ["__main__", "newswatch.crawler.extract.preload"]

    async def main():
        pool = extraction.ExtractionPool(2)
        page = Page(b"<html><body><p>Text</p></body></html>", "text/html", "http://a.cn/1", "http://a.cn/1")
        try:
            readings = await asyncio.gather(*(pool.read(page) for _ in range(4)))
            print(len(readings))
        finally:
            pool.close()

    asyncio.run(main())
"""


@pytest.mark.parametrize(("how", "stock", "imported_by_workers"), [
    ("path", False, False),
    ("module", False, False),
    ("path", True, True),
], ids=["console script: once", "python -m: once", "stock preload: again in each worker"])
def test_the_main_module_is_imported_by_the_crawl_only(tmp_path: Path, how: str, stock: bool,
                                                      imported_by_workers: bool) -> None:
    (tmp_path / "crawlmain.py").write_text(MAIN, encoding="utf-8")
    marks = tmp_path / "marks"
    marks.mkdir()
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{tmp_path}", "MARKS": str(marks)}
    if stock:
        env["STOCK_PRELOAD"] = "1"
    main = [str(tmp_path / "crawlmain.py")] if how == "path" else ["-m", "crawlmain"]
    done = subprocess.run([sys.executable, *main], capture_output=True, text=True, timeout=120, env=env, cwd=ROOT,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["4"]
    importers = {int(mark.name) for mark in marks.iterdir()}
    assert (len(importers) > 1) is imported_by_workers, importers
