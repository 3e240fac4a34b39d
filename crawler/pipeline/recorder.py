"""The seam between the crawl and whoever records it: the :class:`Recorder` protocol the storage pipeline calls.

A crawl is handed its recorder as an object: the spider's ``recorder`` argument
(``runner.crawl(crawler, plan=plan, recorder=recorder)``), which :func:`handed_recorder` reads for the
pipeline. No setting names a recorder: a crawl handed none records with the crawler's own
(``crawler.pipeline.store.Recorder``). The monitor hands over its change detector.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:  # the protocol is imported where no crawl runs (the monitor's run with nothing to crawl)
    from datetime import datetime

    from scrapy.crawler import Crawler
    from sqlalchemy.orm import Session

    from newswatch.crawler.items import FetchedArticle, Missing, RejectedPage
    from newswatch.crawler.pipeline.store import Recorded
    from newswatch.storage.corpus.folder import Corpus


@runtime_checkable
class Recorder(Protocol):
    """What the storage pipeline calls, on its recording thread, inside the batch's transaction."""

    corpus: Corpus  # its documents are staged per batch and renamed after the commit (crawler.pipeline.batch)

    def fetched(self, session: Session, item: FetchedArticle, now: datetime) -> Recorded:
        """A page that yielded an article."""
        ...

    def rejected(self, session: Session, page: RejectedPage, now: datetime) -> Recorded:
        """A page the extractor rejected."""
        ...

    def missing(self, session: Session, item: Missing, now: datetime) -> Recorded:
        """A stored article's URL that no longer serves it (404/410, a redirect away)."""
        ...

    def recover(self, session: Session) -> int:
        """Corpus documents a killed crawl left unwritten, rewritten from storage; returns how many."""
        ...


def handed_recorder(crawler: Crawler) -> Recorder | None:
    """The recorder the crawl was started with (the spider's ``recorder`` argument), or None."""
    spider: object = crawler.spider
    recorder: object = getattr(spider, "recorder", None)
    return recorder if isinstance(recorder, Recorder) else None
