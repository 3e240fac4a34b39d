"""Recording cost: ``python -m bench.bench_record [N] [--postgres]`` prints a table (not a test, not in
``bench/__main__.py``).

N (default 1,000) ``FetchedArticle`` items with distinct bodies, built from the zh_news fixture pages
(each article line made unique per item, short furniture lines left shared, so site templates learn as in
a real first crawl), go through :class:`crawler.pipeline.recording.StoragePipeline` and
:class:`monitor.changes.record.ChangeRecorder` on a fresh SQLite file (``--postgres``: a fresh schema on
``NEWSWATCH_TEST_POSTGRES_URL``), three times: new, unchanged re-fetch (full path), changed (one sentence
edited). Per phase: SQL statements per item (``before_cursor_execute``; an executemany counts once), CPU
of the main (reactor) thread and of the process, and wall time. Items are fed as Scrapy feeds them: up to
100 in flight, under the asyncio reactor.
"""

from __future__ import annotations

import asyncio
import gzip
import inspect
import json
import re
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from scrapy.exceptions import DropItem
from sqlalchemy import create_engine, event, text

ROOT = Path(__file__).resolve().parent.parent
ZH_NEWS = ROOT / "tests" / "fixtures" / "zh_news"
POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
IN_FLIGHT = 100


class Stats:
    """The part of Scrapy's stats collector the pipeline uses."""

    def __init__(self) -> None:
        self.values: dict[str, int] = {}

    def inc_value(self, key: str, count: int = 1, start: int = 0) -> None:
        self.values[key] = self.values.get(key, start) + count

    def get_value(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)


def _cjk(number: int) -> str:
    """A short token of CJK characters for ``number`` (digits would be masked by the line keys)."""
    token = ""
    while True:
        number, rest = divmod(number, 400)
        token += chr(0x4E00 + 37 * rest % 20000)
        if not number:
            return token


def base_articles() -> list[tuple[str, Any]]:
    from newswatch.crawler.encoding import decode_body
    from newswatch.crawler.extract.article import Article, extract

    pages = []
    for entry in json.loads((ZH_NEWS / "index.json").read_text(encoding="utf-8")):
        if entry["page_type"] != "article":
            continue
        html = gzip.decompress((ZH_NEWS / entry["file"]).read_bytes())
        host = urlsplit(entry["url"]).hostname if entry.get("url") else None
        host = host or re.sub(r"[^a-z0-9.-]", "", (entry.get("site") or "").split(" ")[0].lower()) or "example.cn"
        result = extract(decode_body(html, "text/html"), f"https://{host}/{entry['id']}.html")
        if isinstance(result, Article) and len(result.body_markdown) > 200:
            pages.append((host, result))
    return pages


def items(count: int) -> list[Any]:
    from newswatch.crawler.items import FetchedArticle

    pages = base_articles()
    out = []
    for index in range(count):
        site, article = pages[index % len(pages)]
        token = _cjk(index)
        lines = [line + token if len(line) > 40 else line for line in article.body_markdown.splitlines()]
        url = f"https://{site}/bench/{index}.html"
        meta = {"author": article.author, "date": article.date, "site_name": article.site_name,
                "language": article.language, "content_type": "text/html; charset=utf-8"}
        raw = f"<html><body>{token}</body></html>".encode()
        out.append(FetchedArticle(url, url, None, article.title, "\n".join(lines), meta, f"fp{index}",
                                  article.extractor, article.extractor_version, raw, 200, None, None))
    return out


def changed(item: Any) -> Any:
    lines = item.body.splitlines()
    longest = max(range(len(lines)), key=lambda i: len(lines[i]))
    half = len(lines[longest]) // 2
    lines[longest] = lines[longest][:half] + "（据最新消息更正）" + lines[longest][half:]
    return replace(item, body="\n".join(lines), fingerprint=item.fingerprint + "c")


@dataclass(frozen=True)
class Phase:
    name: str
    items: int
    statements: int
    main_cpu: float
    process_cpu: float
    wall: float
    outcomes: dict[str, int]


async def _feed(pipeline: Any, batch: Sequence[Any]) -> None:
    gate = asyncio.Semaphore(IN_FLIGHT)

    async def one(item: Any) -> None:
        async with gate:
            try:
                result = pipeline.process_item(item)
                if inspect.isawaitable(result):
                    await result
            except DropItem:
                pass  # counted by the pipeline (newswatch/errors/*)

    await asyncio.gather(*(one(item) for item in batch))


async def _phase(name: str, make: Any, batch: Sequence[Any], counter: list[int]) -> Phase:
    pipeline = make()
    event.listen(pipeline.engine, "before_cursor_execute", lambda *args: counter.__setitem__(0, counter[0] + 1))
    counter[0] = 0
    wall, main, process = time.perf_counter(), time.thread_time(), time.process_time()
    await _feed(pipeline, batch)
    closed = pipeline.close_spider()
    if inspect.isawaitable(closed):
        await closed
    main, process, wall = time.thread_time() - main, time.process_time() - process, time.perf_counter() - wall
    outcomes = {key.rsplit("/", 1)[1]: value for key, value in pipeline.stats.values.items()
                if key.startswith(("newswatch/articles/", "newswatch/errors/"))}
    return Phase(name, len(batch), counter[0], main, process, wall, outcomes)


async def run(url: str, count: int) -> list[Phase]:
    from newswatch.crawler.extract.topic import Topic
    from newswatch.crawler.pipeline.recording import StoragePipeline
    from newswatch.monitor.changes.detect import DetectOptions
    from newswatch.monitor.changes.record import ChangeRecorder
    from newswatch.storage.corpus.folder import Corpus
    from newswatch.storage.engine import make_engine
    from newswatch.storage.migrate import upgrade

    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    new = items(count)
    corpus = Path(tempfile.mkdtemp(prefix="nw-bench-corpus-"))

    def make() -> Any:
        return StoragePipeline(Stats(), url, ChangeRecorder(Topic(()), Corpus(corpus), DetectOptions()))  # type: ignore[arg-type]

    counter = [0]
    phases = [await _phase("new", make, new, counter)]
    phases.append(await _phase("unchanged", make, new, counter))
    phases.append(await _phase("changed", make, [changed(item) for item in new], counter))
    return phases


def _postgres() -> tuple[str, Any]:
    schema = f"nw_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    return f"{POSTGRES}?options=-csearch_path%3D{schema}", drop


def main(argv: Sequence[str]) -> None:
    from scrapy.utils.defer import deferred_from_coro
    from scrapy.utils.reactor import install_reactor

    install_reactor("twisted.internet.asyncioreactor.AsyncioSelectorReactor")
    from twisted.internet import reactor

    count = int(next((a for a in argv if a.isdigit()), "1000"))
    drop = None
    if "--postgres" in argv:
        url, drop = _postgres()
    else:
        url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='nw-bench-')) / 'newswatch.db'}"
    result: list[Phase] = []

    async def body() -> None:
        result.extend(await run(url, count))

    def start() -> None:
        deferred_from_coro(body()).addBoth(lambda outcome: (reactor.stop(), outcome)[1])  # type: ignore[attr-defined]

    reactor.callWhenRunning(start)  # type: ignore[attr-defined]
    reactor.run()  # type: ignore[attr-defined]
    if drop is not None:
        drop()
    print(f"{'backend' if drop is None else 'postgresql'}: {url.split(':', 1)[0]}, N={count}, "
          f"threads seen: {threading.active_count()}")
    print(f"{'phase':<10} {'stmts/item':>10} {'main CPU s':>10} {'proc CPU s':>10} {'wall s':>8}  outcomes")
    for phase in result:
        print(f"{phase.name:<10} {phase.statements / phase.items:>10.2f} {phase.main_cpu:>10.2f} "
              f"{phase.process_cpu:>10.2f} {phase.wall:>8.2f}  {phase.outcomes}")


if __name__ == "__main__":
    main(sys.argv[1:])
