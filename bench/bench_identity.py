"""The extraction, before and after a change meant to keep every result: ``python bench/bench_identity.py dump
OUT.json`` writes what the worker's reading gives for every fixture page, ``... compare A.json B.json`` lists
the pages where two dumps differ (and exits 1 when any does).

Pages: the 57 of tests/fixtures/zh_news (at an article-shaped URL on their own site, ``text/html`` without a
charset) and the 949 of tests/fixtures/extraction_eval (at their real URL, as
``tests/crawler/extraction_eval.py`` reads them), each through :func:`crawler.extract.reading.read` and, for
the zh_news pages, through :func:`crawler.extract.article.extract` on the decoded text too (the bench's bare
extraction). Recorded per page: the stored URL, the declared canonical URL, the feeds, and every field of
the :class:`~crawler.extract.article.Article` (title, body, date, author, site name, language, description,
image, fingerprint, version), or the rejection's reason and detail.

Run as a file, not a module, so that the code compared is the one on ``PYTHONPATH``: a copy of the commit
before the change (``git worktree add --detach /tmp/before COMMIT``) against the working tree, e.g.
``PYTHONPATH=/tmp/before python bench/bench_identity.py dump /tmp/before.json``.
The pages are dealt out to one process per core (spawned).
"""

from __future__ import annotations

import dataclasses
import gzip
import json
import multiprocessing
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures"
CONTENT_TYPE = "text/html"


def _jobs() -> list[tuple[str, str, str, bool]]:
    """(key, gzipped file, URL, also bare ``extract``) for every fixture page."""
    jobs = []
    for page in json.loads((FIXTURES / "zh_news" / "index.json").read_text(encoding="utf-8")):
        url = f"http://{page.get('site') or 'news.example.org'}/2023/11/17/{page['id']}.html"
        jobs.append((f"zh_news/{page['id']}", str(FIXTURES / "zh_news" / page["file"]), url, True))
    evaldata = json.loads((FIXTURES / "extraction_eval" / "evaldata.json").read_text(encoding="utf-8"))
    for index, (key, entry) in enumerate(evaldata.items()):
        url = key if key.startswith(("http://", "https://")) else f"https://news.example.org/2023/11/17/a-{index:04d}.html"
        jobs.append((f"eval/{key}", str(FIXTURES / "extraction_eval" / entry["file"]), url, False))
    return jobs


def _result(result: Any) -> Any:
    return dataclasses.asdict(result) if result is not None else None


def _one(job: tuple[str, str, str, bool]) -> tuple[str, dict[str, Any]]:
    from newswatch.crawler.encoding import decode_body
    from newswatch.crawler.extract.article import extract
    from newswatch.crawler.extract.reading import Page, read

    key, file, url, bare = job
    body = gzip.decompress(Path(file).read_bytes())
    reading = read(Page(body, CONTENT_TYPE, url, url))
    found: dict[str, Any] = {"url": reading.url, "canonical": reading.canonical, "feeds": list(reading.feeds),
                             "links": list(reading.links), "result": _result(reading.result)}
    if bare:
        found["extract"] = _result(extract(decode_body(body, CONTENT_TYPE), url))
    return key, found


def _slice(jobs: list[tuple[str, str, str, bool]]) -> list[tuple[str, dict[str, Any]]]:
    return [_one(job) for job in jobs]


def dump(out: Path) -> None:
    jobs = _jobs()
    workers = os.cpu_count() or 1
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        parts = list(pool.map(_slice, [jobs[start::workers] for start in range(workers)]))
    found = dict(item for part in parts for item in part)
    out.write_text(json.dumps(found, ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8")
    print(f"{len(found)} pages written to {out}")


def compare(before: Path, after: Path) -> int:
    old = json.loads(before.read_text(encoding="utf-8"))
    new = json.loads(after.read_text(encoding="utf-8"))
    differ = 0
    for key in sorted(old.keys() | new.keys()):
        a, b = old.get(key), new.get(key)
        if a == b:
            continue
        differ += 1
        print(f"DIFFERS {key}")
        for field in sorted((a or {}).keys() | (b or {}).keys()):
            x, y = (a or {}).get(field), (b or {}).get(field)
            if isinstance(x, dict) and isinstance(y, dict):
                for sub in sorted(x.keys() | y.keys()):
                    if x.get(sub) != y.get(sub):
                        print(f"  {field}.{sub}: {str(x.get(sub))[:200]!r} -> {str(y.get(sub))[:200]!r}")
            elif x != y:
                print(f"  {field}: {str(x)[:200]!r} -> {str(y)[:200]!r}")
    print(f"{len(old)} pages before, {len(new)} after, {differ} differ")
    return 1 if differ else 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "dump":
        dump(Path(sys.argv[2]))
    elif len(sys.argv) == 4 and sys.argv[1] == "compare":
        sys.exit(compare(Path(sys.argv[2]), Path(sys.argv[3])))
    else:
        sys.exit(__doc__)
