"""The in-process figures: bare extraction speed (ours and trafilatura's alone: the CPU limit of a crawl) and
change-detection cost."""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import trafilatura

from bench.bench_diff import cases, corpus_text
from bench.site import Template, decoded, pages
from newswatch.crawler.extract.article import Article, extract
from newswatch.monitor.alerts.channels.webhook import encode_payload
from newswatch.monitor.changes.detect import DetectOptions, Snapshot, detect
from newswatch.monitor.changes.events import ArticleInfo, ChangeInfo, Event, event_id
from newswatch.monitor.changes.normalize import forget_bodies
from newswatch.monitor.changes.render import fields_text, to_html, to_json, to_text

URL = "http://127.0.0.1/2025/03/01/article-00000.html"
OPTIONS = DetectOptions(max_shrink=0.99)  # a full rewrite is a change here, not a shrink anomaly


@dataclass(frozen=True)
class Extraction:
    pages: int
    seconds: float  # wall clock
    cpu_seconds: float  # this process's CPU time over the same span
    empty: int = 0  # pages it extracted nothing from (bare trafilatura: WeChat's hidden body, without our step)

    @property
    def per_second(self) -> float:
        return self.pages / self.seconds

    @property
    def ms_per_page(self) -> float:
        return self.seconds / self.pages * 1000

    @property
    def cpu_ms_per_page(self) -> float:
        return self.cpu_seconds / self.pages * 1000


def bare_extraction(found: list[Template], n: int, cycles: int = 2) -> Extraction:
    """``extract`` on the decoded HTML of the first ``cycles`` rounds of templates (the crawl's mix of
    pages), one process, one thread; ``decode_body`` is done before the clock starts."""
    sample = [(decoded(page), page.path) for page in pages(found, min(n, cycles * len(found)))]
    extract(sample[0][0], URL)  # warm-up: py3langid loads its model on first use
    start, cpu = time.perf_counter(), time.process_time()
    for html, path in sample:
        if not isinstance(extract(html, "http://127.0.0.1" + path), Article):
            raise RuntimeError(f"bench page {path} did not extract")
    return Extraction(len(sample), time.perf_counter() - start, time.process_time() - cpu)


def bare_trafilatura(found: list[Template], n: int, cycles: int = 2) -> Extraction:
    """``trafilatura.extract`` (its defaults) on the same decoded pages as :func:`bare_extraction`, one
    process, one thread: the library alone, the first-crawl target's yardstick."""
    sample = [(decoded(page), page.path) for page in pages(found, min(n, cycles * len(found)))]
    trafilatura.extract(sample[0][0], url=URL)  # warm-up
    start, cpu = time.perf_counter(), time.process_time()
    empty = sum(1 for html, path in sample if not trafilatura.extract(html, url="http://127.0.0.1" + path))
    return Extraction(len(sample), time.perf_counter() - start, time.process_time() - cpu, empty)


def changed_article(old: str, new: str) -> tuple[float, float]:
    """What the recorder does for one changed article, without the database: detect (with the diff),
    render the diff as text, JSON and HTML, build the ``article.changed`` event and its webhook body.
    Returns the CPU seconds of detect and of the rest (each call a fresh article: no body remembered)."""
    forget_bodies()
    start = time.process_time()
    found = detect(Snapshot("标题", old), Snapshot("标题", new), options=OPTIONS)
    detected = time.process_time()
    if found.diff is None:
        raise RuntimeError("no change detected")
    fields: dict[str, tuple[str | None, str | None]] = {}
    text = "\n\n".join(part for part in (fields_text(fields), to_text(found.diff)) if part)
    structured = {**to_json(found.diff), "fields": {}}
    to_html(found.diff)
    info = ArticleInfo(URL, "标题", version=2, excerpt=new[:280])
    change = ChangeInfo(found.change_class or "body_edit", found.changed_fields, 1, 2,
                        found.diff.inserted_chars, found.diff.deleted_chars, text, structured)
    event = Event(event_id("article.changed", URL, 2), "article.changed", datetime.now(UTC), "测试新闻", info,
                  change)
    encode_payload(event)
    return detected - start, time.process_time() - detected


@dataclass(frozen=True)
class ChangeCost:
    case: str
    chars: int
    ms: float  # median per changed article
    detect_ms: float  # median of detect (with its diff) alone


def change_detection(repeat: int = 9) -> list[ChangeCost]:
    """Median CPU time per changed article on 50,000-character Chinese texts (bench_diff's change cases;
    CPU, not wall: other processes on the machine do not count)."""
    costs = []
    for name, (old, new) in cases(corpus_text()).items():
        if old == new:
            continue
        runs = [changed_article(old, new) for _ in range(repeat)]
        costs.append(ChangeCost(name, len(new), statistics.median(d + r for d, r in runs) * 1000,
                                statistics.median(d for d, _ in runs) * 1000))
    return costs
