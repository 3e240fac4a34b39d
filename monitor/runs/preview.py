"""``newswatch extract URL|FILE``: what newswatch would store for a page, without storing anything.

The page goes through the crawler's own steps: a URL is fetched through the SSRF guard and the page
cap (:mod:`crawler.fetch.single`; robots.txt is obeyed when ``crawl.obey_robots`` is on), a file is read
(at most ``crawl.max_page_bytes``, gunzipped when it is gzip) and decoded as the crawler decodes a
body that came without a header (:func:`crawler.encoding.decode_body`); the canonical URL is the
page's ``rel=canonical`` when on its site; the source's include/exclude selectors apply; then
:func:`crawler.extract.article.extract`. The judgement: ``article``, ``list`` (an index page), or ``error``
with the reason (error, consent or empty page, too little text, fetch refused or failed, HTTP status).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit

from protego import Protego

from newswatch.crawler.discover.canonical import declared_canonical
from newswatch.crawler.encoding import decode_body, looks_binary
from newswatch.crawler.extract.article import Article, extract
from newswatch.crawler.extract.rejection import LIST_PAGE
from newswatch.crawler.extract.selectors import Selection
from newswatch.crawler.fetch.single import Fetched, FetchLimits, fetch
from newswatch.crawler.urls import canonical_url, site_of, try_canonical_url
from newswatch.monitor.changes.ignore import compile_patterns
from newswatch.monitor.config.model import Config
from newswatch.monitor.config.runtime import fetch_limits
from newswatch.monitor.sources.registry import Registry, load_registry
from newswatch.storage.errors import CrawlError, FetchRefused, RenderTimeout

ROBOTS_MAX_BYTES = 512 * 1024


@dataclass(frozen=True)
class Preview:
    target: str  # the URL or file asked for
    judgement: str  # article | list | error
    reason: str = ""  # a rejection reason or fetch error kind
    detail: str = ""
    url: str | None = None  # canonical URL the article would be stored under
    title: str | None = None
    date: str | None = None
    author: str | None = None
    language: str | None = None
    source: str | None = None  # as the corpus document would name it
    registered_as: str | None = None  # the registry source the URL belongs to
    rules: tuple[str, ...] = ()  # the source's noise rules that applied
    ignored_matches: int = 0  # text the source's ignore patterns keep out of change detection
    body: str = ""  # Markdown
    http_status: int | None = None
    content_type: str | None = None
    size: int = 0  # bytes of the page


def preview_target(config: Config, target: str, url: str | None = None, render: str | None = None) -> Preview:
    """A URL (http or https) is fetched (``render="browser"``: rendered in headless Chromium,
    :mod:`crawler.fetch.renderpage`); anything else must be a readable file."""
    registry = load_registry(config.path(config.storage.seeds_dir))
    if try_canonical_url(target) is not None and urlsplit(target).scheme in ("http", "https"):
        return preview_url(config, registry, target, render)
    path = Path(target)
    if not path.is_file():
        return Preview(target, "error", "not_found", "neither an http(s) URL nor a readable file")
    return preview_file(config, registry, path, url)


def preview_url(config: Config, registry: Registry, url: str, render: str | None = None) -> Preview:
    limits = fetch_limits(config)
    try:
        if config.crawl.obey_robots and not _robots_allow(url, limits):
            return Preview(url, "error", "refused_robots", "robots.txt disallows this URL for newswatch")
        if render == "browser":
            from newswatch.crawler.fetch.renderpage import render_page

            page = render_page(url, limits, config.crawl.render_timeout)
        else:
            page = fetch(url, limits)
    except FetchRefused as exc:
        return Preview(url, "error", "refused", str(exc))
    except RenderTimeout as exc:
        return Preview(url, "error", "render_timeout", str(exc))
    except CrawlError as exc:
        return Preview(url, "error", "fetch_failed", str(exc))
    if page.status != 200:
        return Preview(url, "error", f"http_{page.status}", f"HTTP {page.status}", http_status=page.status,
                       content_type=page.content_type, size=len(page.body))
    return judge(registry, url, page.url, page.body, page.content_type, page)


def preview_file(config: Config, registry: Registry, path: Path, url: str | None) -> Preview:
    cap = config.crawl.max_page_bytes
    try:
        with path.open("rb") as stream:
            data = stream.read(cap + 1)
    except OSError as exc:
        return Preview(str(path), "error", "unreadable", str(exc))
    if data[:2] == b"\x1f\x8b":
        decompressor = zlib.decompressobj(47)
        try:
            data = decompressor.decompress(data, cap + 1)
        except zlib.error as exc:
            return Preview(str(path), "error", "bad_gzip", str(exc))
    if len(data) > cap:
        return Preview(str(path), "error", "too_large", f"larger than crawl.max_page_bytes ({cap} bytes)")
    page_url = canonical_url(url) if url else path.resolve().as_uri()
    return judge(registry, str(path), page_url, data, None, None)


def judge(registry: Registry, target: str, page_url: str, body: bytes, content_type: str | None,
          page: Fetched | None) -> Preview:
    """Decode, canonicalize, select and extract ``body`` as the spider does."""
    base = Preview(target, "error", http_status=page.status if page else None, content_type=content_type,
                   size=len(body))
    if looks_binary(body):
        return replace(base, reason="binary", detail="not text")
    html = decode_body(body, content_type)
    web = page_url.startswith(("http://", "https://"))
    url = (declared_canonical(html, page_url) or canonical_url(page_url)) if web else page_url
    source = registry.for_url(url) if web else None
    rules = source.rules() if source else {}
    selection = Selection.of(rules.get("include", ()), rules.get("exclude", ()))
    result = extract(html, url if web else "", selection)
    base = replace(base, url=url if web else None, registered_as=source.name if source else None,
                 rules=tuple(rules))
    if not isinstance(result, Article):
        judgement = "list" if result.reason == LIST_PAGE else "error"
        return replace(base, judgement=judgement, reason=result.reason, detail=result.detail, title=result.title)
    ignore = compile_patterns(rules.get("ignore", ()))
    ignored = ignore.strip(result.body_markdown).removed if ignore else 0
    return replace(base, judgement="article", title=result.title, date=result.date, author=result.author,
                 language=result.language, source=result.site_name or (site_of(url) if web else None),
                 body=result.body_markdown, ignored_matches=ignored)


def _robots_allow(url: str, limits: FetchLimits) -> bool:
    parts = urlsplit(url)
    robots_url = f"{parts.scheme}://{parts.netloc}/robots.txt"
    try:
        robots = fetch(robots_url, FetchLimits(limits.allow_networks, ROBOTS_MAX_BYTES, limits.timeout,
                                               limits.user_agent))
    except CrawlError:
        return True  # no robots.txt to be had: allowed, as Scrapy treats it
    if robots.status != 200:
        return True
    parser = Protego.parse(decode_body(robots.body, robots.content_type))
    return bool(parser.can_fetch(url, limits.user_agent.split(" ", 1)[0]))

