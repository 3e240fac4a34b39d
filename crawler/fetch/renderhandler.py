"""The download handler of a crawl with render sites: scrapy-playwright's, with the crawl's guarantees.

Requests without ``meta["playwright"]`` (everything but a render site's page after its plain 200, see
:mod:`crawler.fetch.render`) go to Scrapy's own HTTP/1.1 handler unchanged. For a rendered page:

- the page's own navigation is served from the plain 200 the crawl already fetched (``route.fulfill``:
  the site sees one GET of the document, counted as ``newswatch/render/documents_reused``);
- every other request the browser makes (redirects, scripts, XHR, frames) is intercepted and judged
  first (schemes other than http(s) refused; images, media and fonts not loaded; the host checked by the
  crawl's :class:`~crawler.fetch.resolver.GuardedResolver`: a private, loopback or link-local address outside
  ``crawl.allow_networks`` is refused, counted as ``newswatch/refused/private_address`` and
  ``newswatch/render/refused/private_address``; at most ``MAX_SUBREQUESTS`` per page), then *made by the
  crawl*: ``engine.download_async`` through every downloader middleware (the SSRF guard and the pinned
  resolver, robots.txt: ``newswatch/render/refused/robots``, ``DOWNLOAD_MAXSIZE``), in a download slot per
  host made with the crawl's per-site politeness (``crawler.fetch.render.SUBREQUEST_SLOT``: its delay and
  per-domain concurrency, AutoThrottle's rule), without following redirects (the browser is handed
  the 3xx and asks again, judged again) and handed to the browser with ``route.fulfill``. Chromium's own
  resolver maps every name to NOTFOUND (``crawler.fetch.render.ARGS``): it opens no connection of its own, so
  there is no second lookup to rebind. WebSockets are never connected; service workers are blocked (their
  requests would pass no interception);
- the page's time is ``crawl.render_timeout`` for the navigation (``wait_until="networkidle"``), and that plus
  ``RENDER_GRACE`` for the whole render: a page that never settles fails as
  :class:`~storage.errors.RenderTimeout` (one ``error render_timeout`` line), and its page is closed. The
  render waits in a slot of its own (``crawler.fetch.render.PAGE_SLOT``), not the site's;
- the rendered DOM is capped at ``DOWNLOAD_MAXSIZE`` like a plain body;
- one browser per crawl, at most ``PLAYWRIGHT_MAX_PAGES_PER_CONTEXT`` pages open, started (with playwright's
  driver) by the crawl's first rendered page, closed with the crawl (the handler's ``close``, which first
  ends the browser's requests still waiting for a slot). The browser is a child of playwright's driver,
  which ends it when its pipe to this process closes: a killed run leaves no browser behind.

"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Any

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page, Route, WebSocketRoute
from playwright.async_api import Request as PlaywrightRequest
from playwright.async_api import TimeoutError as PlaywrightTimeout
from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler
from twisted.internet.defer import Deferred, succeed

from newswatch.crawler.addresses import literal_address, parse_networks
from newswatch.crawler.fetch.netguard import STAT_REFUSED
from newswatch.crawler.fetch.render import (
    DOCUMENT,
    MAX_SUBREQUESTS,
    RENDER_GRACE,
    STAT_PREFIX,
    SUBREQUEST_KIND,
    document_headers,
    refusal,
    subrequest_slot,
)
from newswatch.crawler.urls import split_url
from newswatch.storage.errors import CrawlError, FetchRefused, RenderTimeout

CONTEXT = {"service_workers": "block", "accept_downloads": False}  # a worker's requests pass no interception
_SHARED: weakref.WeakKeyDictionary[Crawler, RenderHandler] = weakref.WeakKeyDictionary()
Document = tuple[int, tuple[tuple[str, str], ...], bytes]  # the plain 200 held: status, headers, body
# the document of the request being set up: read when its page's route handler is made (same task)
_DOCUMENT: ContextVar[Document | None] = ContextVar("nw_render_document", default=None)


PAGE = "nw_render_page"  # meta of a browser's request made by the crawl: the page that asked for it



class ClosedTargets(logging.Filter):
    """Playwright's listener errors about a page or browser that is already closed (a response still being read
    when a page times out or the crawl stops): expected, so logged at DEBUG, not as an ERROR with a traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if type(error).__name__ != "TargetClosedError":
            return True
        logging.getLogger("newswatch.render").debug("closed while a listener ran: %s", error)
        return False


def closed_targets_quiet(logger: logging.Logger) -> None:
    """Install :class:`ClosedTargets` on ``logger`` once."""
    if not any(isinstance(f, ClosedTargets) for f in logger.filters):
        logger.addFilter(ClosedTargets())

class PageClosed(IgnoreRequest):
    """A browser's request not made: its page is closed."""


class RenderHandler(ScrapyPlaywrightDownloadHandler):  # type: ignore[misc]
    """One instance per crawl for both schemes: one browser (Scrapy builds a handler per scheme)."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RenderHandler:
        shared = _SHARED.get(crawler)
        if shared is None:
            shared = _SHARED[crawler] = cls(crawler)
        return shared

    closing = False
    launched = False  # playwright's driver started (with the crawl's first rendered page)
    abandoning = False  # a stopping daemon: open pages closed, no new page made (see abandon_pages)

    async def abandon(self) -> None:
        """Close the pages open: their navigations fail now instead of holding the crawl's stop (Scrapy's
        graceful stop waits for every download in progress, a page that never settles included)."""
        self.abandoning = True
        for wrapper in list(self.context_wrappers.values()):
            for page in list(wrapper.context.pages):
                with contextlib.suppress(PlaywrightError):
                    await page.close()

    def _engine_started(self) -> Deferred[None]:
        """scrapy-playwright starts its driver (a node process, ~150 MiB) when the engine starts: not here.
        It starts, and the browser with it, with the crawl's first rendered page (:meth:`_launched`); a crawl
        that renders nothing (no render site in its plan, or every page a 304) starts neither."""
        return succeed(None)

    async def _launched(self) -> None:
        async with self.launch_lock:
            if self.closing or self.abandoning:  # no driver started for a crawl that is ending
                raise CrawlError("not rendered, the crawl is stopping")
            if not self.launched:
                self.launched = True
                self._count("driver_started")
                await self._launch()
                await self._maybe_launch_browser()  # outside the render's time (crawl.render_timeout)

    async def close(self) -> None:
        if not self.closing:
            self.closing = True
            waiting = list(self.routing)  # the browser's requests still waiting for their slot
            for task in waiting:
                task.cancel()
            await asyncio.gather(*waiting, return_exceptions=True)
            await super().close()

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        from twisted.internet import reactor

        from newswatch.crawler.fetch.resolver import ensure_installed
        from newswatch.crawler.options import options_of

        settings = crawler.settings
        options = options_of(settings)
        self.allowed = parse_networks(options.crawl.allow_networks)
        self.resolver = ensure_installed(reactor, settings) if options.guard_dns else None
        self.maxsize = settings.getint("DOWNLOAD_MAXSIZE")
        self.crawler = crawler
        self.abort_request = self.refuse
        # scrapy-playwright logs each failed page with its traceback; the crawl reports it as one error line
        logging.getLogger("scrapy-playwright").setLevel(logging.ERROR)
        closed_targets_quiet(logging.getLogger("playwright"))
        self.subrequests: weakref.WeakKeyDictionary[Page, int] = weakref.WeakKeyDictionary()
        self.routing: set[asyncio.Task[Any]] = set()  # the browser's requests being answered
        self.lanes: weakref.WeakKeyDictionary[Page, dict[str, asyncio.Semaphore]] = weakref.WeakKeyDictionary()
        self.pages: dict[int, Page] = {}
        self.launch_lock = asyncio.Lock()  # id(request) -> the page rendering it
        self.render_timeout = settings.getfloat("NEWSWATCH_RENDER_TIMEOUT", 30.0)

    def _count(self, key: str) -> None:
        self.stats.inc_value(STAT_PREFIX + key)

    async def refuse(self, request: PlaywrightRequest) -> bool:
        """True: the browser's request is aborted (see the module)."""
        reason = refusal(request.url, request.resource_type)
        if reason == "resource":
            self._count("skipped_resources")
            return True
        if reason is not None or not self._within_budget(request):
            self._count(f"refused/{reason or 'too_many_requests'}")
            return True
        host = _host(request.url)
        if not host:
            self._count("refused/bad_url")
            return True
        try:
            await self._check(host)
        except FetchRefused:
            self.stats.inc_value(STAT_REFUSED)
            self._count("refused/private_address")
            return True
        except CrawlError:
            self._count("refused/dns_failed")
            return True
        return False

    def _within_budget(self, request: PlaywrightRequest) -> bool:
        try:
            page = request.frame.page
        except PlaywrightError:  # a service worker's request has no frame (blocked anyway)
            return False
        self.subrequests[page] = self.subrequests.get(page, 0) + 1
        return self.subrequests[page] <= MAX_SUBREQUESTS

    async def _check(self, host: str) -> None:
        from newswatch.crawler.addresses import check_addresses

        literal = literal_address(host)
        if literal is not None:
            check_addresses(host, [literal], self.allowed)
        elif self.resolver is not None:
            await self.resolver.checked(host).asFuture(asyncio.get_running_loop())

    async def _create_page(self, request: Request, spider: Spider) -> Page:
        if self.abandoning:
            raise CrawlError(f"{request.url}: not rendered, the crawl is stopping")
        request.meta["playwright_context_kwargs"] = CONTEXT  # the context made with the first page, not at start
        page: Page = await super()._create_page(request, spider)
        self.pages[id(request)] = page
        await page.route_web_socket("**", _no_websocket)
        return page

    def _make_request_handler(self, *args: Any, **kwargs: Any) -> Callable[[Route, PlaywrightRequest], Any]:
        """The page's route handler (replacing scrapy-playwright's ``continue_``): the page's own navigation
        is served from the plain 200 already fetched (see crawler.fetch.render), every other request by
        :meth:`_fulfil`."""
        document, url = _DOCUMENT.get(), kwargs["url"]
        served = asyncio.Event()

        async def handler(route: Route, request: PlaywrightRequest) -> None:
            if (document is not None and not served.is_set() and request.is_navigation_request()
                    and request.frame.parent_frame is None and request.url.rstrip("/") == url.rstrip("/")):
                served.set()
                status, headers, body = document
                await route.fulfill(status=status, headers=dict(headers), body=body)
                self._count("documents_reused")
                return
            await self._queued(route, request)

        return handler

    async def _queued(self, route: Route, request: PlaywrightRequest) -> None:
        """:meth:`_fulfil`, one request of a page per host at a time (a page that polls does not fill the
        host's slot ahead of the other pages' requests); ended by the handler's close."""
        task = asyncio.current_task()
        if task is not None:
            self.routing.add(task)
        page: Page | None = None
        try:
            page = request.frame.page
            lane = self.lanes.setdefault(page, {}).setdefault(_host(request.url), asyncio.Semaphore(1))
        except PlaywrightError:  # a service worker's request: refused by _fulfil
            lane = asyncio.Semaphore(1)
        try:
            async with lane:
                if page is not None and page.is_closed():  # timed out or abandoned while this waited
                    self._count("subrequests/dropped")
                    await _answer(route.abort("failed"))
                    return
                try:
                    await self._fulfil(route, request)
                except PlaywrightError:  # the page closed meanwhile
                    await _answer(route.abort("failed"))
        finally:
            self.routing.discard(task)

    async def _fulfil(self, route: Route, request: PlaywrightRequest) -> None:
        """One of the browser's requests, judged (:meth:`refuse`), then fetched by the crawl's downloader:
        the SSRF guard with its pinned resolver, robots.txt, ``DOWNLOAD_MAXSIZE``; a redirect is handed to
        the browser, whose next request comes here again. Chromium opens no connection of its own."""
        if await self.refuse(request):
            await _answer(route.abort("blockedbyclient"))
            return
        fetch = Request(request.url, method=request.method, headers=_forwarded(await request.all_headers()),
                        body=request.post_data_buffer or b"", dont_filter=True, priority=100,
                        meta={"nw_kind": SUBREQUEST_KIND, "download_slot": subrequest_slot(_host(request.url)),
                              "dont_redirect": True, "dont_retry": True, "handle_httpstatus_all": True})
        try:
            fetch.meta[PAGE] = request.frame.page
            response = await self.crawler.engine.download_async(fetch)
        except PageClosed:
            await _answer(route.abort("failed"))
            return
        except IgnoreRequest as exc:
            self._count("refused/robots" if "robots" in str(exc).lower() else "refused/fetch")
            await _answer(route.abort("blockedbyclient"))
            return
        except Exception:  # the site's failure is the page's: the browser sees a failed request
            self._count("subrequests/failed")
            await _answer(route.abort("failed"))
            return
        self._count("subrequests/fetched")
        await _answer(route.fulfill(status=response.status, headers=dict(document_headers(response)),
                                    body=response.body))

    async def download_request(self, request: Request, *args: Any) -> Response:
        """A browser's request whose page closed while it waited for its slot (a timeout) is not made."""
        page = request.meta.get(PAGE)
        if isinstance(page, Page) and page.is_closed():
            self._count("subrequests/dropped")
            raise PageClosed(f"{request.url}: the page that asked for it is closed")
        response: Response = await super().download_request(request, *args)
        return response

    async def _download_request(self, request: Request, spider: Spider | None = None) -> Response:
        """The page rendered, within the render timeout (the navigation's, and the whole render's plus
        ``RENDER_GRACE``: a page waiting for a free page or a script that never returns is closed), else
        :class:`RenderTimeout`, one error line of the crawl."""
        _DOCUMENT.set(request.meta.pop(DOCUMENT, None))
        await self._launched()
        seconds = self.render_timeout
        try:
            response: Response = await asyncio.wait_for(super()._download_request(request, spider),
                                                        seconds + RENDER_GRACE)
        except (PlaywrightTimeout, TimeoutError) as exc:  # the navigation's / the whole render's
            self._count("timeouts" if isinstance(exc, PlaywrightTimeout) else "timeouts/render")
            raise RenderTimeout(f"{request.url}: the page did not settle within {seconds:g} s") from exc
        finally:
            page = self.pages.pop(id(request), None)
            if page is not None and not page.is_closed():
                with contextlib.suppress(PlaywrightError):
                    await page.close()
        if self.maxsize and len(response.body) > self.maxsize:
            raise FetchRefused(f"the rendered page is larger than DOWNLOAD_MAXSIZE ({self.maxsize} bytes)")
        self._count("pages")
        return response


# not sent on: no cookies (a crawl keeps none); the crawl's own User-Agent (robots.txt is read for it) and
# Accept-Encoding (only what it decodes); what the HTTP client sets itself
UNFORWARDED = frozenset({"cookie", "host", "content-length", "user-agent", "accept-encoding", "connection"})


def _host(url: str) -> str:
    parts = split_url(url)
    return (parts.hostname or "") if parts is not None else ""


def _forwarded(headers: dict[str, str]) -> dict[str, str]:
    """The browser's request headers the crawl sends on."""
    return {k: v for k, v in headers.items() if k.lower() not in UNFORWARDED and not k.startswith(":")}


async def _answer(reply: Awaitable[None]) -> None:
    """A route answered; its page may have closed meanwhile (a timeout, a stopping crawl): nothing to do."""
    with contextlib.suppress(PlaywrightError):
        await reply


async def abandon_pages(crawler: Crawler) -> None:
    """The crawl's browser closes its open pages (:meth:`RenderHandler.abandon`); nothing without one."""
    handler = _SHARED.get(crawler)
    if handler is not None:
        await handler.abandon()


async def _no_websocket(socket: WebSocketRoute) -> Any:
    await socket.close(code=1008, reason="newswatch: no WebSockets from rendered pages")
