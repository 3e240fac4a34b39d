"""What a re-check's answers skip: the meta refresh of a bodyless answer, the per-answer DEBUG lines of a quiet
log, the versions line of a quiet start, the stack walk of Scrapy's TLS imports; nothing else changes."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from newswatch.crawler.fetch.fetchlog import QuietLogFormatter, logs_debug
from newswatch.crawler.fetch.metarefresh import HeadMetaRefreshMiddleware
from newswatch.crawler.options import CrawlOptions
from newswatch.crawler.settings import crawl_settings, quiet_start
from tests.conftest import ROOT

URL = "http://news.example/2025/a.html"
REFRESH = b'<html><head><meta http-equiv="refresh" content="0; url=/b.html"></head><body>x</body></html>'


def _meta_refresh() -> HeadMetaRefreshMiddleware:
    return HeadMetaRefreshMiddleware.from_crawler(get_crawler(settings_dict={"METAREFRESH_ENABLED": True}))


def test_a_bodyless_answer_is_handed_on_untouched() -> None:
    request = Request(URL, headers={"If-None-Match": '"v1"'})
    response = HtmlResponse(URL, status=304, body=b"", request=request)
    assert _meta_refresh().process_response(request, response) is response


def test_a_page_with_a_meta_refresh_is_still_followed() -> None:
    request = Request(URL)
    response = HtmlResponse(URL, status=200, body=REFRESH, request=request)
    followed = _meta_refresh().process_response(request, response)
    assert isinstance(followed, Request) and followed.url == "http://news.example/b.html"


def test_the_crawl_uses_the_lean_components() -> None:
    settings = crawl_settings(CrawlOptions(database_url="sqlite://", corpus_dir="c"))
    middlewares = settings["DOWNLOADER_MIDDLEWARES"]
    assert middlewares["scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware"] is None
    assert middlewares["newswatch.crawler.fetch.metarefresh.HeadMetaRefreshMiddleware"] == 580
    assert middlewares["scrapy.downloadermiddlewares.offsite.OffsiteMiddleware"] is None
    assert middlewares["scrapy.downloadermiddlewares.httpauth.HttpAuthMiddleware"] is None
    assert settings["LOG_FORMATTER"] == "newswatch.crawler.fetch.fetchlog.QuietLogFormatter"
    spider_middlewares = settings["SPIDER_MIDDLEWARES"]
    assert spider_middlewares["scrapy.spidermiddlewares.depth.DepthMiddleware"] is None
    assert "scrapy.spidermiddlewares.urllength.UrlLengthMiddleware" not in spider_middlewares  # kept: a guard


@pytest.mark.parametrize(("settings", "verbose"), [
    ({"LOG_LEVEL": "WARNING"}, False), ({"LOG_LEVEL": "INFO"}, False), ({"LOG_LEVEL": "DEBUG"}, True),
    ({"LOG_LEVEL": 10}, True), ({"LOG_ENABLED": False, "LOG_LEVEL": "DEBUG"}, False),
])
def test_per_answer_lines_only_for_a_debug_log(settings: dict[str, object], verbose: bool) -> None:
    crawler = get_crawler(settings_dict=settings)
    assert logs_debug(crawler.settings) is verbose
    formatter = QuietLogFormatter.from_crawler(crawler)
    request = Request(URL)
    response = HtmlResponse(URL, status=304, body=b"", request=request)
    crawled = formatter.crawled(request, response, None)
    scraped = formatter.scraped({"url": URL}, response, None)
    assert (crawled is not None, scraped is not None) == (verbose, verbose)
    if verbose:
        assert crawled["args"]["status"] == 304


@pytest.mark.parametrize(("settings", "versions"), [
    ({"LOG_LEVEL": "WARNING"}, False), ({"LOG_LEVEL": "CRITICAL", "LOG_ENABLED": False}, False),
    ({"LOG_LEVEL": "INFO"}, True), ({"LOG_LEVEL": "DEBUG"}, True), ({"LOG_LEVEL": "INFO", "LOG_ENABLED": False}, False),
])
def test_the_versions_line_only_when_it_is_shown(settings: dict[str, object], versions: bool) -> None:
    assert quiet_start(settings) == ({} if versions else {"LOG_VERSIONS": []})


def test_tls_modules_import_without_walking_the_stack() -> None:
    """In a fresh interpreter: no ``inspect.stack`` call, the same alias modules as Scrapy's own import, and
    ``inspect.stack`` itself again afterwards."""
    script = textwrap.dedent("""
        import inspect
        calls = []
        real = inspect.stack
        def spy(*args, **kwargs):
            calls.append(1)
            return real(*args, **kwargs)
        inspect.stack = spy
        from newswatch.crawler.fetch.tlsimport import import_tls_modules
        import_tls_modules()
        import_tls_modules()
        from scrapy.core.downloader import contextfactory, tls
        assert not calls, calls
        assert inspect.stack is spy
        print(contextfactory.ScrapyClientContextFactory.__module__,
              contextfactory.AcceptableProtocolsContextFactory.__module__, tls.ScrapyClientTLSOptions.__module__)
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, check=False,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["scrapy.core.downloader.contextfactory"] * 2 + ["scrapy.core.downloader.tls"]
