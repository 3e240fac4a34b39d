"""One page rendered in headless Chromium outside a crawl (``newswatch extract URL --render browser``).

The same rules as a crawl's rendered page (:mod:`crawler.fetch.renderhandler`): every request the browser makes
is judged first (http(s) only; images, media and fonts not loaded; GET and HEAD only) and then made by
:func:`crawler.fetch.single.fetch`, the guarded fetch of a single page (the host's addresses checked by the SSRF
guard, ``crawl.allow_networks`` allowing, the connection pinned to the address checked; redirects followed
there, the page keeping its first URL; the body capped): Chromium resolves no name and opens no connection;
no WebSockets, no service workers; the page's time is ``crawl.render_timeout`` until the network settles
(else :class:`~storage.errors.RenderTimeout`); the DOM capped at ``crawl.max_page_bytes``. The browser is
closed before the function returns.
"""

from __future__ import annotations

from newswatch.crawler.fetch.render import HOP_HEADERS, NO_CHROMIUM, find_chromium, launch_args, refusal
from newswatch.crawler.fetch.single import Fetched, FetchLimits, fetch
from newswatch.storage.errors import CrawlError, FetchRefused, RenderTimeout


def render_page(url: str, limits: FetchLimits, timeout: float | None = None) -> Fetched:
    """``url`` loaded in the system's Chromium within ``timeout`` (``crawl.render_timeout``; None: the
    limits'); CrawlError (FetchRefused, RenderTimeout) when it cannot be."""
    seconds = limits.timeout if timeout is None else timeout
    from playwright.sync_api import Error, Route, sync_playwright
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    chromium = find_chromium()
    if chromium is None:
        raise CrawlError(f"--render browser {NO_CHROMIUM}")

    def judge(route: Route) -> None:
        request = route.request
        if refusal(request.url, request.resource_type) is not None or request.method not in ("GET", "HEAD"):
            route.abort("blockedbyclient")
            return
        try:
            got = fetch(request.url, limits)
        except CrawlError:
            route.abort("blockedbyclient")
            return
        route.fulfill(status=got.status, body=got.body,
                      headers={k: v for k, v in got.headers if k.lower() not in HOP_HEADERS})

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, headless=True, args=launch_args(),
                                             handle_sigint=False)
        try:
            context = browser.new_context(service_workers="block", user_agent=limits.user_agent)
            page = context.new_page()
            page.route("**", judge)
            page.route_web_socket("**", lambda socket: socket.close())
            response = page.goto(url, wait_until="networkidle", timeout=seconds * 1000)
            html = page.content().encode("utf-8")
            headers = tuple((response.all_headers() if response else {}).items())
            status, landed = (response.status if response else 200), page.url
        except PlaywrightTimeout as exc:
            raise RenderTimeout(f"{url}: the page did not settle within {seconds:g} s") from exc
        except Error as exc:
            raise CrawlError(f"{url}: the browser could not load it ({exc.message.splitlines()[0]})") from exc
        finally:
            browser.close()
    if len(html) > limits.max_bytes:
        raise FetchRefused(f"{url}: the rendered page is larger than {limits.max_bytes} bytes")
    kept = tuple((k, v) for k, v in headers if k.lower() not in ("content-type", "content-encoding"))
    return Fetched(url, landed, status, (*kept, ("Content-Type", "text/html; charset=utf-8")), html)
