"""Pages that need a browser: a source's article and section pages rendered in headless Chromium.

A source with ``render = "browser"`` (``seeds/sources.toml``) has its pages loaded in the system's Chromium
(Debian's ``chromium`` package; nothing downloads a browser build) through scrapy-playwright. Only then:
without such a source a crawl's settings name nothing of this module's handler, no browser is started and
neither playwright nor scrapy-playwright is imported (``crawler.settings``).

How a rendered page is fetched (:class:`RenderMiddleware`): the page is first requested as any page, plain
HTTP with the stored validators, so a server that supports conditional GET answers 304 and no browser is
involved; a 200 from a render site's page (after redirects, decoded) is then requested again with
``meta["playwright"]``, carrying that answer (``meta["nw_document"]``: status, headers, body), and that
request goes through every downloader middleware again (the SSRF guard, robots.txt, the site's download
slot). The browser's navigation to the page is served from the answer held (``route.fulfill``), so the
site sees one GET of the document; the page's own requests (scripts, XHR, frames) go out. Feeds, sitemaps
and robots.txt are never rendered. The browser's own requests
(scripts, XHR, frames) are judged by :func:`refusal` and the guard in ``crawler.fetch.renderhandler``.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from newswatch.crawler.urls import for_site

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from scrapy.statscollectors import StatsCollector

BROWSER = "browser"  # the one value of a source's ``render``
PACKAGE = "chromium"  # the Debian package that provides the browser
CANDIDATES = ("/usr/bin/chromium", "chromium", "chromium-browser")
HANDLER = "newswatch.crawler.fetch.renderhandler.RenderHandler"
MIDDLEWARE = "newswatch.crawler.fetch.render.RenderMiddleware"
# below redirects (600), the integrity check (595) and decompression (590): sees the final 200, decoded
MIDDLEWARE_ORDER = 585
RENDERED_KINDS = ("article", "page")  # never feeds, sitemaps or robots.txt
SKIPPED_RESOURCES = frozenset({"image", "media", "font"})
MAX_PAGES = 4  # pages open at once in the one browser of a crawl
MAX_SUBREQUESTS = 200  # the browser's own requests per page; past this, refused
VALIDATORS = (b"If-None-Match", b"If-Modified-Since")
DOCUMENT = "nw_document"  # meta: the plain 200 (status, headers, body) the browser's navigation is served from
HOP_HEADERS = frozenset({"content-encoding", "content-length", "transfer-encoding", "connection", "set-cookie"})
STAT_PREFIX = "newswatch/render/"
# the request that renders a page (its document already fetched in the site's slot) waits in a slot of its own:
# it makes no request of the site, so it holds none of the site's slot while the page loads, and its time
# (seconds of rendering) is not the site's latency (AutoThrottle does not adjust it)
PAGE_SLOT = "newswatch-render-pages"
# the browser's own requests, fetched by the crawl (crawler.fetch.renderhandler), wait in one slot per host
# (``subrequest_slot``): Scrapy makes it with the crawl's per-site politeness (``crawl.concurrency_per_domain``,
# ``crawl.download_delay`` with its jitter, AutoThrottle's rule), beside the site's own slot, never inside it:
# a page that held the site's slot while waiting for its own scripts there would deadlock at concurrency 1
SUBREQUEST_SLOT = "newswatch-render:"
SUBREQUEST_KIND = "subrequest"
RENDER_GRACE = 5.0  # seconds past the render timeout the whole render (page, scripts, DOM) may take
NO_CHROMIUM = f"needs Chromium, which is not installed: install the package {PACKAGE} (apt-get install {PACKAGE})"
# Chromium's own traffic (component updates, safe browsing, DNS prefetch, WebRTC's STUN) does not pass
# playwright's request interception: turned off. The sandbox needs user namespaces, absent for root.
ARGS = ("--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-default-apps", "--disable-extensions", "--no-first-run", "--disable-gpu", "--mute-audio",
        "--dns-prefetch-disable", "--disable-dev-shm-usage", "--disable-quic",
        "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",
        # every request is answered through interception (crawler.fetch.renderhandler): Chromium resolves nothing
        "--host-resolver-rules=MAP * ~NOTFOUND")


def subrequest_slot(host: str) -> str:
    """The download slot of the browser's requests to ``host`` (see ``SUBREQUEST_SLOT``)."""
    return SUBREQUEST_SLOT + host.lower()


def find_chromium() -> str | None:
    """The system's Chromium executable (``NEWSWATCH_CHROMIUM`` overrides the search), or None."""
    override = os.environ.get("NEWSWATCH_CHROMIUM")
    for candidate in (override,) if override is not None else CANDIDATES:
        found = shutil.which(candidate) if candidate else None
        if found:
            return found
    return None


def launch_args() -> list[str]:
    return [*ARGS, *(["--no-sandbox"] if hasattr(os, "geteuid") and os.geteuid() == 0 else [])]


def refusal(url: str, resource_type: str) -> str | None:
    """Why the browser may not make a request before any lookup: ``scheme`` (only http(s); ``data:`` and
    ``blob:`` are the page's own bytes and never reach the interception), ``resource`` (images, media and
    fonts are not loaded); None: the host is checked next."""
    scheme = urlsplit(url).scheme.lower()
    if scheme in ("data", "blob"):
        return None
    if scheme not in ("http", "https"):
        return "scheme"
    if resource_type in SKIPPED_RESOURCES:
        return "resource"
    return None


async def abandon_pages(crawlers: Iterable[Crawler]) -> None:
    """Before a graceful stop (the daemon's SIGTERM): every crawl's browser closes its open pages, so a page
    that never settles does not hold the stop for its whole timeout. Imports nothing of the browser when no
    crawl has rendered."""
    module = sys.modules.get("newswatch.crawler.fetch.renderhandler")
    if module is not None:
        for crawler in crawlers:
            await module.abandon_pages(crawler)


def render_settings(sites: Sequence[str], timeout: float, middlewares: dict[str, int | None]) -> dict[str, Any]:
    """What a crawl with render sites adds to its Scrapy settings (plain data only); ``middlewares`` is the
    crawl's ``DOWNLOADER_MIDDLEWARES``, returned with the render middleware added. ConfigError without
    Chromium (``newswatch config`` says so first: ``monitor.runs.preflight``)."""
    from newswatch.storage.errors import ConfigError

    chromium = find_chromium()
    if chromium is None:
        raise ConfigError("sources.toml: render", NO_CHROMIUM)
    return {
        "DOWNLOAD_HANDLERS": {"http": HANDLER, "https": HANDLER},
        "DOWNLOADER_MIDDLEWARES": {**middlewares, MIDDLEWARE: MIDDLEWARE_ORDER},
        "PLAYWRIGHT_BROWSER_TYPE": "chromium",
        "PLAYWRIGHT_LAUNCH_OPTIONS": {"executable_path": chromium, "headless": True, "args": launch_args(),
                                      "timeout": 30_000, "handle_sigint": False},
        "DOWNLOAD_SLOTS": {PAGE_SLOT: {"concurrency": MAX_PAGES, "delay": 0.0, "jitter": 0.0}},
        "PLAYWRIGHT_MAX_CONTEXTS": 1,
        "PLAYWRIGHT_MAX_PAGES_PER_CONTEXT": MAX_PAGES,
        "PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT": int(timeout * 1000),
        "NEWSWATCH_RENDER_SITES": list(sites),
        "NEWSWATCH_RENDER_TIMEOUT": timeout,
    }


def document_headers(response: Response) -> tuple[tuple[str, str], ...]:
    """The plain 200's headers as the browser is served them: the body is already decoded (no
    ``Content-Encoding``, its own length), no cookies (a crawl keeps none)."""
    pairs = []
    for name, values in response.headers.items():
        text = name.decode("latin-1")
        if text.lower() not in HOP_HEADERS:
            pairs.append((text, ", ".join(v.decode("latin-1") for v in values)))
    return tuple(pairs)


class RenderMiddleware:
    """A render site's page answered 200 in plain HTTP: requested again, in the browser (see the module)."""

    def __init__(self, sites: Sequence[str], timeout: float, stats: StatsCollector) -> None:
        self.sites = {site: True for site in sites}
        self.timeout = timeout
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RenderMiddleware:
        assert crawler.stats is not None
        settings = crawler.settings
        return cls(settings.getlist("NEWSWATCH_RENDER_SITES"), settings.getfloat("NEWSWATCH_RENDER_TIMEOUT", 30.0),
                   crawler.stats)

    def wanted(self, request: Request, response: Response) -> bool:
        meta = request.meta
        return (response.status == 200 and not meta.get("playwright") and meta.get("nw_kind") in RENDERED_KINDS
                and for_site(self.sites, request.url) is not None)

    def process_response(self, request: Request, response: Response) -> Request | Response:
        if not self.wanted(request, response):
            return response
        self.stats.inc_value(STAT_PREFIX + "requested")
        headers = request.headers.copy()
        for name in VALIDATORS:
            headers.pop(name, None)
        goto = {"wait_until": "networkidle", "timeout": int(self.timeout * 1000)}
        meta = {**request.meta, "playwright": True, "playwright_page_goto_kwargs": goto, "download_slot": PAGE_SLOT,
                "autothrottle_dont_adjust_delay": True,
                DOCUMENT: (response.status, document_headers(response), response.body)}
        return request.replace(headers=headers, meta=meta, dont_filter=True)
