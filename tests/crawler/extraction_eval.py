"""Scoring the pipeline's extraction against bare trafilatura on trafilatura's evaluation set.

``tests/fixtures/extraction_eval/`` holds the 949 real pages of adbar/trafilatura's evaluation set
(``evaldata.json``: per page URL, ``with`` snippets that belong to the main text and ``without``
snippets that must not be in it).  Each page goes through the pipeline the way a crawled page does: the
worker's one reading (:func:`crawler.extract.reading.read`: decoded as the crawler decodes it -- no charset in the
Content-Type, the page's own declarations and detection decide -- parsed once, extracted) at the page's
real URL, so the document is stored under the canonical URL the page declares, else that URL (the
``hard::`` pages, which have none, at an article-shaped URL).  The document is scored as the corpus file
shows it: title and body, the Markdown made plain with ``markdown_to_text``; and also its body alone, and
the stored Markdown as written (emphasis marks and escapes left in: a snippet with bold words in it is
then missed).  Bare trafilatura (``trafilatura.extract`` with its defaults, the way upstream evaluates)
extracts from the same decoded text.  A snippet is found when it occurs in the text, whitespace removed
on both sides (Markdown changes line breaks and spacing); F1 as upstream computes it (``with`` found are
true positives, ``without`` found false positives).

Used by ``tests/crawler/extract/test_extraction_eval.py`` (the relations, in CI) and by
``bench/bench_extraction.py`` (prints the rates).
"""

from __future__ import annotations

import gzip
import json
import multiprocessing
import os
import re
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import trafilatura

from newswatch.crawler.encoding import decode_body
from newswatch.crawler.extract.article import Article
from newswatch.crawler.extract.markdown import markdown_to_text
from newswatch.crawler.extract.reading import Page, read

EVAL = Path(__file__).resolve().parent.parent / "fixtures" / "extraction_eval"
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class EvalPage:
    url: str  # the page's real URL (evaldata.json's key)
    file: str
    with_: tuple[str, ...]
    without: tuple[str, ...]


@dataclass(frozen=True)
class Scored:
    """One page through one extractor: snippets found, and the rejection reason if no document."""

    page: EvalPage
    with_found: int
    without_found: int
    rejected: str | None = None
    title: str | None = None  # the document's title (the pipeline's only)
    stored_url: str | None = None  # the URL the document is stored under (the pipeline's only)
    language: str | None = None  # bare trafilatura's: py3langid's guess on its text (the page's language)


@dataclass(frozen=True)
class Rates:
    pages: int
    documents: int
    with_total: int
    with_found: int
    without_total: int
    without_found: int

    @property
    def with_kept(self) -> float:
        return self.with_found / self.with_total if self.with_total else 0.0

    @property
    def without_shown(self) -> float:
        return self.without_found / self.without_total if self.without_total else 0.0

    @property
    def f1(self) -> float:
        """Upstream's F1: ``with`` found are true positives, missed ones false negatives, ``without``
        found false positives."""
        shown = self.with_found + self.without_found
        precision = self.with_found / shown if shown else 0.0
        return 2 * precision * self.with_kept / (precision + self.with_kept) if precision + self.with_kept else 0.0


def eval_pages() -> list[EvalPage]:
    data: dict[str, dict[str, Any]] = json.loads((EVAL / "evaldata.json").read_text(encoding="utf-8"))
    return [EvalPage(url, entry["file"], tuple(entry.get("with") or ()), tuple(entry.get("without") or ()))
            for url, entry in data.items()]


CONTENT_TYPE = "text/html"  # no charset: the page's own declarations and detection decide


def raw(page: EvalPage) -> bytes:
    return gzip.decompress((EVAL / page.file).read_bytes())


def decoded(page: EvalPage) -> str:
    return decode_body(raw(page), CONTENT_TYPE)


def article_url(index: int) -> str:
    """An article-shaped URL on a neutral host, for the pages whose key is no URL (``hard::…``)."""
    return f"https://news.example.org/2023/11/17/article-{index:04d}.html"


def page_url(page: EvalPage, index: int) -> str:
    return page.url if page.url.startswith(("http://", "https://")) else article_url(index)


def score(page: EvalPage, text: str | None, rejected: str | None = None, title: str | None = None,
          stored_url: str | None = None) -> Scored:
    flat = _SPACES.sub("", text or "")
    found = sum(1 for snippet in page.with_ if _SPACES.sub("", snippet) in flat)
    shown = sum(1 for snippet in page.without if _SPACES.sub("", snippet) in flat)
    return Scored(page, found, shown, rejected, title, stored_url)


def pipeline(page: EvalPage, body: bytes, index: int) -> tuple[Scored, Scored, Scored]:
    """Through the worker's reading at the page's URL: the document (title and body, as the corpus file
    shows them), its body alone, and the document with the stored Markdown as written."""
    url = page_url(page, index)
    reading = read(Page(body, CONTENT_TYPE, url, url))
    result = reading.result
    if not isinstance(result, Article):
        reason = result.reason if result is not None else "not extracted"
        return score(page, None, reason), score(page, None, reason), score(page, None, reason)
    text = markdown_to_text(result.body_markdown)
    stored = {"title": result.title, "stored_url": reading.url}
    return (score(page, f"{result.title or ''}\n{text}", **stored), score(page, text, **stored),
            score(page, f"{result.title or ''}\n{result.body_markdown}", **stored))


def bare(page: EvalPage, html: str) -> Scored:
    """Bare trafilatura's text scored, with the language of that text (py3langid's guess): the eval's
    metadata names no language, and the guess on bare trafilatura's text does not depend on the pipeline."""
    import py3langid

    text = trafilatura.extract(html)
    language = str(py3langid.classify(text[:3000])[0]) if text and len(_SPACES.sub("", text)) >= 20 else None
    return replace(score(page, text, None if text else "no text"), language=language)


@dataclass(frozen=True)
class Compared:
    document: Scored  # the pipeline's title + body, made plain
    body: Scored  # the pipeline's body alone
    markdown: Scored  # the pipeline's title + body, the stored Markdown as written
    bare: Scored  # bare trafilatura's text (it has no title)

    @property
    def language(self) -> str | None:
        """The page's language: py3langid's guess on bare trafilatura's text."""
        return self.bare.language


def compare(pages: list[EvalPage], start: int = 0, step: int = 1) -> Iterator[Compared]:
    """Both extractors over ``pages[start::step]`` (each page through the pipeline at its own URL)."""
    for index in range(start, len(pages), step):
        page = pages[index]
        body = raw(page)
        document, alone, markdown = pipeline(page, body, index)
        yield Compared(document, alone, markdown, bare(page, decode_body(body, CONTENT_TYPE)))


def _compare_slice(pages: list[EvalPage], start: int, step: int) -> list[Compared]:
    return list(compare(pages, start, step))


def compare_all(pages: list[EvalPage], workers: int | None = None) -> list[Compared]:
    """:func:`compare` over every page, in order, the pages dealt out to one process per core (the
    extraction is pure and CPU-bound: two cores halve the wall time). Spawned, not forked: a test
    process may hold threads."""
    workers = max(1, min(workers or os.cpu_count() or 1, len(pages)))
    if workers == 1:
        return list(compare(pages))
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        slices = list(pool.map(_compare_slice, [pages] * workers, range(workers), [workers] * workers))
    merged: list[Compared] = []
    for index in range(len(pages)):
        merged.append(slices[index % workers][index // workers])
    return merged


def in_comments_only(item: Compared) -> int:
    """The ``with`` snippets bare trafilatura keeps on ``item``'s page only in the reader comments it appends
    (its default; the pipeline never stores comments: a monitor would report each new comment as a changed
    article), counted where bare keeps more than the pipeline (there only: a second trafilatura call)."""
    if item.bare.with_found <= item.document.with_found:
        return 0
    text = trafilatura.extract(decoded(item.bare.page), include_comments=False)
    return item.bare.with_found - score(item.bare.page, text).with_found


def english(items: list[Compared]) -> list[Compared]:
    """The pages in English (py3langid's guess on bare trafilatura's text: the eval names no language)."""
    return [item for item in items if item.language == "en"]


def rates(scored: list[Scored]) -> Rates:
    return Rates(
        pages=len(scored), documents=sum(1 for s in scored if s.rejected is None),
        with_total=sum(len(s.page.with_) for s in scored), with_found=sum(s.with_found for s in scored),
        without_total=sum(len(s.page.without) for s in scored), without_found=sum(s.without_found for s in scored),
    )
