"""Child process of ``test_pipeline.py``: the storage pipeline under the asyncio reactor, as Scrapy drives
it (``process_item`` coroutines, then ``close_spider``); prints what happened as JSON."""

from __future__ import annotations

import asyncio
import json
import sys
import threading
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

from scrapy.exceptions import DropItem
from scrapy.utils.defer import deferred_from_coro
from scrapy.utils.reactor import install_reactor
from sqlalchemy import event
from sqlalchemy.orm import Session

from newswatch.crawler.extract.topic import Topic
from newswatch.crawler.items import FetchedArticle
from newswatch.monitor.changes.detect import DetectOptions
from newswatch.monitor.changes.record import ChangeRecorder
from newswatch.storage.engine import make_engine
from newswatch.storage.migrate import upgrade
from tests.crawler.pipeline.test_batch import RefusingCorpus, item


class Stats:
    def __init__(self) -> None:
        self.values: dict[str, int] = {}

    def inc_value(self, key: str, count: int = 1, start: int = 0) -> None:
        self.values[key] = self.values.get(key, start) + count


class Spider:
    def __init__(self) -> None:
        self.errors: list[Any] = []


class Crawler:
    def __init__(self) -> None:
        self.spider = Spider()


class Watching(ChangeRecorder):
    threads: ClassVar[set[str]] = set()

    def fetched(self, session: Session, item: FetchedArticle, now: datetime):  # type: ignore[no-untyped-def]
        Watching.threads.add(threading.current_thread().name)
        return super().fetched(session, item, now)


async def run(folder: Path) -> dict[str, Any]:
    from newswatch.crawler.pipeline.recording import StoragePipeline

    url = f"sqlite:///{folder / 'newswatch.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    items = [item(n) for n in range(7)]
    corpus = RefusingCorpus(folder / "corpus", items[4].url)
    crawler = Crawler()
    pipeline = StoragePipeline(Stats(), url, Watching(Topic(()), corpus, DetectOptions()), crawler,  # type: ignore[arg-type]
                               batch_items=3, batch_seconds=0.2)
    begins: list[int] = []
    event.listen(pipeline.engine, "begin", lambda connection: begins.append(1))
    await pipeline.open_spider()

    async def one(entry: Any) -> str:
        try:
            await pipeline.process_item(entry)
        except DropItem as exc:
            return f"dropped: {exc}"[:40]
        return "stored"

    results = await asyncio.gather(*(one(entry) for entry in items))
    await pipeline.close_spider()
    return {"results": results, "threads": sorted(Watching.threads), "main": threading.current_thread().name,
            "stats": pipeline.stats.values, "errors": [e.kind for e in crawler.spider.errors],
            "transactions": len(begins), "files": len(list((folder / "corpus").glob("*.txt")))}


def main() -> None:
    install_reactor("twisted.internet.asyncioreactor.AsyncioSelectorReactor")
    from twisted.internet import reactor

    out: dict[str, Any] = {}

    def start() -> None:
        done = deferred_from_coro(run(Path(sys.argv[1])))
        done.addCallback(out.update)
        done.addErrback(lambda failure: out.update(failure=failure.getTraceback()))
        done.addBoth(lambda _result: reactor.stop())  # type: ignore[attr-defined]

    reactor.callWhenRunning(start)  # type: ignore[attr-defined]
    reactor.run()  # type: ignore[attr-defined]
    print(json.dumps(out))


if __name__ == "__main__":
    main()
