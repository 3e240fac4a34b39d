"""Looking at a site once before it is registered: its name, the feeds its page announces, the sitemaps
its robots.txt lists. One guarded fetch of the page and one of robots.txt (:mod:`crawler.fetch.single`);
the parsing is the crawler's own (:func:`crawler.discover.links.discover_feeds`,
:func:`crawler.discover.sitemaps.sitemaps_from_robots`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from parsel import Selector

from newswatch.crawler.discover.links import discover_feeds
from newswatch.crawler.discover.sitemaps import sitemaps_from_robots
from newswatch.crawler.encoding import decode_body
from newswatch.crawler.fetch.single import FetchLimits, fetch
from newswatch.crawler.urls import canonical_url, same_site, try_canonical_url
from newswatch.storage.errors import CrawlError

ROBOTS_MAX_BYTES = 512 * 1024


@dataclass(frozen=True)
class SiteProbe:
    url: str  # the page as reached, canonical (after redirects)
    name: str | None  # what the page calls its site (og:site_name, application-name)
    feeds: tuple[str, ...]
    sitemaps: tuple[str, ...]
    notes: tuple[str, ...] = ()  # what could not be looked at, and why


def site_name(html: str) -> str | None:
    """The site's own name on a page: ``og:site_name``, else ``application-name``."""
    selector = Selector(text=html)
    for xpath in ("//meta[@property='og:site_name']/@content", "//meta[@name='application-name']/@content"):
        value = " ".join((selector.xpath(xpath).get() or "").split())
        if value:
            return value[:200]
    return None


def probe_site(url: str, limits: FetchLimits, *, feeds: bool = True, sitemaps: bool = True) -> SiteProbe:
    """Fetch ``url`` (an HTTP error is a :class:`CrawlError`) and what it says about its site."""
    page = fetch(url, limits)
    if page.status != 200:
        raise CrawlError(f"{url}: HTTP {page.status}")
    html = decode_body(page.body, page.content_type)
    reached = canonical_url(page.url)
    probe = SiteProbe(reached, site_name(html), discover_feeds(html, reached) if feeds else (), ())
    if not sitemaps:
        return probe
    parts = urlsplit(reached)
    robots_url = f"{parts.scheme}://{parts.netloc}/robots.txt"
    try:
        robots = fetch(robots_url, replace(limits, max_bytes=min(limits.max_bytes, ROBOTS_MAX_BYTES)))
    except CrawlError as exc:
        return replace(probe, notes=(f"robots.txt not read: {exc}",))
    if robots.status != 200:
        return replace(probe, notes=(f"robots.txt: HTTP {robots.status}",))
    listed = [try_canonical_url(u) for u in sitemaps_from_robots(decode_body(robots.body, robots.content_type),
                                                                 robots_url)]
    kept = tuple(dict.fromkeys(u for u in listed if u is not None and same_site(u, reached)))
    notes = (f"robots.txt: {len(listed) - len(kept)} sitemap(s) on other sites left out",) if len(kept) < len(listed) \
        else ()
    return replace(probe, sitemaps=kept, notes=notes)
