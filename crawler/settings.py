"""Scrapy settings for a newswatch crawl, built from plain options (the crawler never reads config files)."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from newswatch.crawler.options import OPTIONS, CrawlOptions, log_keeps

if TYPE_CHECKING:
    pass

# Order matters: the SSRF guard before robots.txt (100) fetches anything; the integrity check below
# decompression (590) sees the raw gzip and decodes it once, strictly (Scrapy's middleware then finds no
# Content-Encoding left); the loop check below redirects (600) sees the 3xx.
DOWNLOADER_MIDDLEWARES: dict[str, int | None] = {
    "newswatch.crawler.fetch.netguard.SSRFGuardMiddleware": 50,
    # Scrapy's robots.txt middleware, with every waiting request judged (crawler.fetch.robots)
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "newswatch.crawler.fetch.robots.RobotsMiddleware": 100,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "newswatch.crawler.fetch.retry.BackoffRetryMiddleware": 550,
    # Scrapy's meta-refresh redirect reading the head of the body, not decoding it all, and skipped for a
    # bodyless answer (every 304 of a re-check) (crawler.fetch.metarefresh)
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "newswatch.crawler.fetch.metarefresh.HeadMetaRefreshMiddleware": 580,
    "newswatch.crawler.fetch.integrity.IntegrityMiddleware": 595,
    "newswatch.crawler.fetch.redirects.RedirectLoopMiddleware": 610,
    # no spider of ours names allowed_domains or HTTP credentials: Scrapy's offsite check (a signal handler
    # and a method call for every request, with nothing to refuse: the frontier keeps discovery on its site,
    # the SSRF guard above keeps every request off private networks) and HTTP auth are off
    "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
    "scrapy.downloadermiddlewares.httpauth.HttpAuthMiddleware": None,
}
# Scrapy's own components less those a crawl never enables (cookies, the HTTP cache, the telnet console, the
# remote control, the memory debugger, the job state): Scrapy imports every component named in its settings,
# a disabled one too, before it finds it off (the remote control loads aiohttp, ~150 ms of every crawl's
# start-up; the cookies middleware tldextract, ~50 ms). tests/crawler/test_settings.py keeps these equal to
# Scrapy's defaults less DROPPED_COMPONENTS.
DROPPED_COMPONENTS = frozenset({
    "scrapy.downloadermiddlewares.cookies.CookiesMiddleware",
    "scrapy.downloadermiddlewares.httpcache.HttpCacheMiddleware",
    "scrapy.extensions.telnet.TelnetConsole", "scrapy.extensions.remote_control.RemoteControl",
    "scrapy.extensions.memdebug.MemoryDebugger", "scrapy.extensions.spiderstate.SpiderState",
})
DOWNLOADER_MIDDLEWARES_BASE: dict[str, int] = {
    "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": 50,
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": 100,
    "scrapy.downloadermiddlewares.httpauth.HttpAuthMiddleware": 300,
    "scrapy.downloadermiddlewares.downloadtimeout.DownloadTimeoutMiddleware": 350,
    "scrapy.downloadermiddlewares.defaultheaders.DefaultHeadersMiddleware": 400,
    "scrapy.downloadermiddlewares.useragent.UserAgentMiddleware": 500,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": 550,
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": 580,
    "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware": 590,
    "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": 600,
    "scrapy.downloadermiddlewares.httpproxy.HttpProxyMiddleware": 750,
    "scrapy.downloadermiddlewares.stats.DownloaderStats": 850,
}
EXTENSIONS_BASE: dict[str, int] = {
    "scrapy.extensions.corestats.CoreStats": 0,
    "scrapy.extensions.logcount.LogCount": 0,
    "scrapy.extensions.memusage.MemoryUsage": 0,
    "scrapy.extensions.closespider.CloseSpider": 0,
    "scrapy.extensions.feedexport.FeedExporter": 0,
    "scrapy.extensions.logstats.LogStats": 0,
    "scrapy.extensions.throttle.AutoThrottle": 0,
}
EXTENSIONS: dict[str, int | None] = {
    "newswatch.crawler.pipeline.progress.Progress": 500,
    # Scrapy's lines about failed fetches at DEBUG: the run reports them
    "newswatch.crawler.fetch.fetchlog.FetchFailureLog": 0,
    # AutoThrottle's rule except for a 304, which lowers the delay at once (crawler.fetch.throttle)
    "scrapy.extensions.throttle.AutoThrottle": None,
    "newswatch.crawler.fetch.throttle.Throttle": 0,
}
# Scrapy starts this many asyncio tasks for every callback's outputs (default 100): 2 is one for a record
# (which waits for its batch to be written) and one for the requests after it; each more is a task started
# and ended for every answer (a re-check's callback yields one record)
CONCURRENT_ITEMS = 2


def quiet_start(settings: Mapping[str, Any]) -> dict[str, Any]:
    """``LOG_VERSIONS`` empty unless the log keeps INFO: Scrapy reads the versions of ten libraries at every
    crawl's start (``platform.platform()`` forks ``uname -p``) for an INFO line nobody would see."""
    shown = log_keeps(settings.get("LOG_ENABLED", True), settings.get("LOG_LEVEL", "DEBUG"), logging.INFO)
    return {} if shown else {"LOG_VERSIONS": []}


def crawl_settings(options: CrawlOptions) -> dict[str, Any]:
    """Polite defaults: robots.txt, AutoThrottle per domain, honest user agent, caps, retries with backoff
    and Retry-After that wait in the scheduler (``crawler.fetch.waiting``), not in a download slot."""
    crawl = options.crawl
    settings: dict[str, Any] = {
        "BOT_NAME": "newswatch",
        "USER_AGENT": crawl.agent,
        "ROBOTSTXT_OBEY": crawl.obey_robots,
        "CONCURRENT_REQUESTS": crawl.concurrency,
        "CONCURRENT_REQUESTS_PER_DOMAIN": crawl.concurrency_per_domain,
        "DOWNLOAD_DELAY": crawl.download_delay,
        # a callback's outputs handled at once (see CONCURRENT_ITEMS above)
        "CONCURRENT_ITEMS": CONCURRENT_ITEMS,
        "AUTOTHROTTLE_ENABLED": True,
        "AUTOTHROTTLE_START_DELAY": max(crawl.download_delay, 0.01),
        "AUTOTHROTTLE_MAX_DELAY": 60.0,
        "DOWNLOAD_TIMEOUT": crawl.download_timeout,
        "DOWNLOAD_MAXSIZE": crawl.max_page_bytes,
        "DOWNLOAD_WARNSIZE": 0,
        "RETRY_TIMES": crawl.retries,
        # retries wait on a timer, not in a download slot
        "SCHEDULER": "newswatch.crawler.fetch.waiting.RetryScheduler",
        "REDIRECT_MAX_TIMES": 5,
        "CLOSESPIDER_TIMEOUT": crawl.closespider_timeout,
        "COOKIES_ENABLED": False,
        # spider middlewares a crawl has no use for: Scrapy's depth (DEPTH_LIMIT 0: its meta and a stat only;
        # the frontier keeps the crawl's depth) and the check for meta copied by hand (a development aid);
        # each is one more async generator around every callback's every output
        "SPIDER_MIDDLEWARES": {"scrapy.spidermiddlewares.depth.DepthMiddleware": None,
                               "scrapy.spidermiddlewares.metacopy.MetaCopyDetectionMiddleware": None},
        # names resolved once, checked by the SSRF guard, pinned for the connection (IPv4 and IPv6)
        "TWISTED_DNS_RESOLVER": "newswatch.crawler.fetch.resolver.GuardedResolver",
        "TELNETCONSOLE_ENABLED": False,
        "REMOTE_CONTROL_ENABLED": False,
        "LOG_LEVEL": options.log_level,
        # no per-answer DEBUG lines built for a log above DEBUG (crawler.fetch.fetchlog)
        "LOG_FORMATTER": "newswatch.crawler.fetch.fetchlog.QuietLogFormatter",
        "DOWNLOADER_MIDDLEWARES_BASE": dict(DOWNLOADER_MIDDLEWARES_BASE),
        "DOWNLOADER_MIDDLEWARES": dict(DOWNLOADER_MIDDLEWARES),
        "ITEM_PIPELINES": {"newswatch.crawler.pipeline.recording.StoragePipeline": 300},
        "EXTENSIONS_BASE": dict(EXTENSIONS_BASE),
        "EXTENSIONS": dict(EXTENSIONS),
        # the options themselves, as plain data (Scrapy deep-copies its settings): read with options_of()
        OPTIONS: _plain(dataclasses.asdict(options)),
    }
    if options.cassette:
        from newswatch.crawler.fetch.cassette import cassette_settings

        mode = options.cassette_mode or "replay"
        settings.update(cassette_settings(options.cassette, mode))
    elif options.render_sites:  # a cassette holds plain HTTP only: with one, render sites are fetched plainly
        from newswatch.crawler.fetch.render import render_settings

        settings.update(render_settings(options.render_sites, crawl.render_timeout,
                                        settings["DOWNLOADER_MIDDLEWARES"]))
    return settings


PLAIN_TYPES = (str, int, float, bool, type(None))


def plain_data_problem(value: Any, where: str = "settings") -> str | None:
    """Where ``value`` holds something other than plain data (str, numbers, bools, None, lists, tuples,
    dicts with str keys), or None. Scrapy deep-copies its settings
    (``AsyncCrawlerProcess``): a live object in them (an ``SSLContext``, an engine, a channel) fails every run."""
    if isinstance(value, PLAIN_TYPES):
        return None
    if isinstance(value, list | tuple):
        return next((p for i, v in enumerate(value) if (p := plain_data_problem(v, f"{where}[{i}]"))), None)
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                return f"{where}: key {key!r} is not a string"
            if problem := plain_data_problem(item, f"{where}[{key!r}]"):
                return problem
        return None
    return f"{where} holds a {type(value).__name__}, not plain data"


def require_plain(settings: dict[str, Any]) -> dict[str, Any]:
    """``settings`` unchanged when they are plain data; TypeError naming the key otherwise."""
    problem = plain_data_problem(settings)
    if problem:
        raise TypeError(f"Scrapy settings must be plain data: {problem}")
    return settings


def _plain(value: Any) -> Any:
    """Tuples as lists, mappings as dicts, all the way down (the form JSON and Scrapy's copies keep)."""
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value
