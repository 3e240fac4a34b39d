"""Web view cost: ``python -m bench.bench_web [--articles 5000]`` prints a table (not a test).

Builds a SQLite database of N articles from the seed corpus's real Chinese bodies, each with two
versions and one change (a sentence edited, one appended), serves the app on loopback (uvicorn, as
``newswatch serve`` does) and times each kind of request: median and 95th percentile over the runs.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

from newswatch.monitor.changes.diff import diff_texts
from newswatch.monitor.changes.render import to_json, to_text
from newswatch.monitor.web.app import create_app
from newswatch.storage.corpus.folder import load_corpus
from newswatch.storage.engine import make_engine, session_factory
from newswatch.storage.migrate import upgrade
from newswatch.storage.models import Article, Change, Source, Version
from tests.monitor.web.server import in_thread

ROOT = Path(__file__).resolve().parent.parent


def fill(url: str, count: int) -> None:
    bodies = [d.document.body for d in load_corpus(ROOT / "seeds").documents if len(d.document.body) > 500]
    engine = make_engine(url)
    upgrade(engine)
    sessions = session_factory(engine)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    with sessions() as session:
        source = Source(name="bench", kind="site", url="http://127.0.0.1:9/")
        session.add(source)
        session.flush()
        for index in range(count):
            old = bodies[index % len(bodies)]
            new = old.replace("。", "，据悉。", 1) + "\n更正：此前版本有误，现已更正。"
            when = start + timedelta(minutes=index)
            article = Article(canonical_url=f"http://127.0.0.1:9/2025/{index}.html", title=f"文章 {index}",
                              source_id=source.id, first_seen_at=when)
            session.add(article)
            session.flush()
            v1 = Version(article_id=article.id, number=1, title=article.title, body=old, content_hash="a" * 64,
                         extractor="trafilatura", extractor_version="2", fetched_at=when)
            v2 = Version(article_id=article.id, number=2, title=article.title, body=new, content_hash="b" * 64,
                         extractor="trafilatura", extractor_version="2", fetched_at=when + timedelta(hours=1))
            session.add_all([v1, v2])
            session.flush()
            diff = diff_texts(old, new)
            session.add(Change(article_id=article.id, from_version_id=v1.id, to_version_id=v2.id,
                               changed_fields=["body"], change_class="addition", diff=to_text(diff),
                               diff_json=to_json(diff), detected_at=when + timedelta(hours=1)))
        session.commit()
    engine.dispose()


def timed(url: str, runs: int) -> tuple[float, float, int]:
    seconds, size = [], 0
    for _ in range(runs):
        began = time.perf_counter()
        with urllib.request.urlopen(url, timeout=120) as response:
            size = len(response.read())
        seconds.append(time.perf_counter() - began)
    seconds.sort()
    return statistics.median(seconds), seconds[max(0, round(0.95 * len(seconds)) - 1)], size


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_web")
    parser.add_argument("--articles", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'web.db'}"
        began = time.perf_counter()
        fill(url, args.articles)
        print(f"filled {args.articles} articles with a change each in {time.perf_counter() - began:.1f} s")
        engine = make_engine(url)
        last = args.articles
        paths = ["/", f"/?page={args.articles // 100}", "/?change_class=title", f"/articles/{last}",
                 f"/articles/{last}/changes/2", "/new", "/sources", "/feeds/changes.atom",
                 "/api/changes", f"/api/changes?page={args.articles // 50}", f"/api/articles/{last}", "/api/sources"]
        with in_thread(create_app(session_factory(engine))) as base:
            print(f"{'request':<34} {'median ms':>10} {'p95 ms':>8} {'bytes':>9}")
            for path in paths:
                median, p95, size = timed(base + path, args.runs)
                print(f"{path:<34} {median * 1000:>10.1f} {p95 * 1000:>8.1f} {size:>9}")
        engine.dispose()


if __name__ == "__main__":
    main()
