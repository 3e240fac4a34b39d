"""The in-process figures: bare extraction speed (the CPU limit of a crawl) and change-detection cost."""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from bench.bench_diff import cases, corpus_text
from bench.site import Template, decoded, pages
from crawler.extract import Article, extract
from monitor.detect import DetectOptions, Snapshot, detect
from monitor.events import ArticleInfo, ChangeInfo, Event, event_id
from monitor.render import fields_text, to_html, to_json, to_text
from monitor.webhook import encode_payload

URL = "http://127.0.0.1/2025/03/01/article-00000.html"


@dataclass(frozen=True)
class Extraction:
    pages: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.pages / self.seconds

    @property
    def ms_per_page(self) -> float:
        return self.seconds / self.pages * 1000


def bare_extraction(found: list[Template], n: int, cycles: int = 2) -> Extraction:
    """``extract`` on the decoded HTML of the first ``cycles`` rounds of templates (the crawl's mix of
    pages), one process, one thread; ``decode_body`` is done before the clock starts."""
    sample = [(decoded(page), page.path) for page in pages(found, min(n, cycles * len(found)))]
    extract(sample[0][0], URL)  # warm-up: py3langid loads its model on first use
    start = time.perf_counter()
    for html, path in sample:
        if not isinstance(extract(html, "http://127.0.0.1" + path), Article):
            raise RuntimeError(f"bench page {path} did not extract")
    return Extraction(len(sample), time.perf_counter() - start)


def changed_article(old: str, new: str) -> bytes:
    """What the recorder does for one changed article, without the database: detect (with the diff),
    render the diff as text, JSON and HTML, build the ``article.changed`` event and its webhook body."""
    before, after = Snapshot("标题", old), Snapshot("标题", new)
    found = detect(before, after, options=DetectOptions(max_shrink=0.99))
    if found.diff is None:
        return b""
    fields: dict[str, tuple[str | None, str | None]] = {}
    text = "\n\n".join(part for part in (fields_text(fields), to_text(found.diff)) if part)
    structured = {**to_json(found.diff), "fields": {}}
    to_html(found.diff)
    info = ArticleInfo(URL, "标题", version=2, excerpt=new[:280])
    change = ChangeInfo(found.change_class or "body_edit", found.changed_fields, 1, 2,
                        found.diff.inserted_chars, found.diff.deleted_chars, text, structured)
    event = Event(event_id("article.changed", URL, 2), "article.changed", datetime.now(UTC), "测试新闻", info,
                  change)
    return encode_payload(event)


@dataclass(frozen=True)
class ChangeCost:
    case: str
    chars: int
    ms: float  # median per changed article


def change_detection(repeat: int = 5) -> list[ChangeCost]:
    """Median time per changed article on 50,000-character Chinese texts (bench_diff's change cases)."""
    costs = []
    for name, (old, new) in cases(corpus_text()).items():
        if old == new:
            continue
        runs = []
        for _ in range(repeat):
            start = time.perf_counter()
            changed_article(old, new)
            runs.append(time.perf_counter() - start)
        costs.append(ChangeCost(name, len(new), statistics.median(runs) * 1000))
    return costs
