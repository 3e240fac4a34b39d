"""The crawl settings are polite by default and carry every configured cap."""

from __future__ import annotations

import pytest
from scrapy.settings import Settings

from newswatch.crawler.fetch.cassette import CassetteDownloadHandler
from newswatch.crawler.options import CrawlConfig, CrawlOptions, options_of
from newswatch.crawler.settings import crawl_settings


def test_polite_defaults() -> None:
    settings = crawl_settings(CrawlOptions(database_url="sqlite://", corpus_dir="c",
                                           crawl=CrawlConfig(contact_url="https://x.example/")))
    assert settings["ROBOTSTXT_OBEY"] is True
    assert settings["AUTOTHROTTLE_ENABLED"] is True
    assert settings["CONCURRENT_REQUESTS_PER_DOMAIN"] == 2
    assert settings["DOWNLOAD_DELAY"] == 1.0
    assert settings["USER_AGENT"] == "newswatch/0.1 (+https://x.example/)"
    assert settings["DOWNLOAD_TIMEOUT"] == 30.0
    assert settings["DOWNLOAD_MAXSIZE"] == 5 * 1024 * 1024
    options = options_of(Settings(settings))
    assert options.crawl.max_feed_bytes == 2 * 1024 * 1024
    assert options.crawl.allow_networks == ()
    assert options.guard_dns is True
    assert settings["REMOTE_CONTROL_ENABLED"] is False
    middlewares = settings["DOWNLOADER_MIDDLEWARES"]
    guard = "newswatch.crawler.fetch.netguard.SSRFGuardMiddleware"
    assert middlewares[guard] < 100, "before robots.txt fetches anything"
    assert middlewares["scrapy.downloadermiddlewares.retry.RetryMiddleware"] is None
    assert "DOWNLOAD_HANDLERS" not in settings


def test_replay_uses_the_cassette_and_makes_no_lookups() -> None:
    settings = crawl_settings(CrawlOptions(database_url="sqlite://", corpus_dir="c", cassette="x.yaml",
                                           cassette_mode="replay"))
    handler = settings["DOWNLOAD_HANDLERS"]["http"]
    assert handler.rsplit(".", 1)[-1] == CassetteDownloadHandler.__name__
    assert options_of(Settings(settings)).guard_dns is False


def test_live_objects_in_settings_are_named() -> None:
    import ssl

    from newswatch.crawler.settings import plain_data_problem, require_plain

    settings = crawl_settings(CrawlOptions(database_url="sqlite://", corpus_dir="c"))
    assert require_plain(settings) is settings
    bad = {**settings, "NEWSWATCH_X": [{"name": "desk", "ssl_context": ssl.create_default_context()}]}
    assert plain_data_problem(bad) == "settings['NEWSWATCH_X'][0]['ssl_context'] holds a SSLContext, not plain data"
    with pytest.raises(TypeError, match="must be plain data"):
        require_plain(bad)


def test_scrapy_components_are_scrapys_defaults_less_the_dropped() -> None:
    """The bases name every default component of the installed Scrapy but those a crawl never enables
    (named at all, Scrapy would import them): a Scrapy upgrade that adds or moves one fails here."""
    from scrapy.settings import default_settings

    from newswatch.crawler.settings import DOWNLOADER_MIDDLEWARES_BASE, DROPPED_COMPONENTS, EXTENSIONS_BASE

    for ours, scrapys in ((DOWNLOADER_MIDDLEWARES_BASE, default_settings.DOWNLOADER_MIDDLEWARES_BASE),
                          (EXTENSIONS_BASE, default_settings.EXTENSIONS_BASE)):
        assert ours == {name: order for name, order in scrapys.items() if name not in DROPPED_COMPONENTS}
    defaults = set(default_settings.DOWNLOADER_MIDDLEWARES_BASE) | set(default_settings.EXTENSIONS_BASE)
    assert defaults >= DROPPED_COMPONENTS


def test_dropped_components_are_off_in_every_crawl() -> None:
    """What the bases leave out is off anyway: the settings that would enable it are off."""
    settings = crawl_settings(CrawlOptions(database_url="sqlite://", corpus_dir="c"))
    assert settings["COOKIES_ENABLED"] is False
    assert settings["TELNETCONSOLE_ENABLED"] is False
    assert settings["REMOTE_CONTROL_ENABLED"] is False
    assert not settings.get("HTTPCACHE_ENABLED") and not settings.get("MEMDEBUG_ENABLED")
    assert not settings.get("JOBDIR")
    assert settings["CONCURRENT_ITEMS"] <= 16


def test_the_options_travel_as_plain_data_and_come_back_typed() -> None:
    import copy
    import json

    options = CrawlOptions("sqlite://", "c", ("AI",), CrawlConfig(allow_networks=("127.0.0.0/8",), extract_workers=0),
                           source_rules={"x.example": {"include": ("p",)}}, source_names={"x.example": "X"})
    settings = crawl_settings(options)
    assert json.loads(json.dumps(settings)) == settings, "plain data: Scrapy deep-copies, a child crawl gets JSON"
    assert options_of(Settings(copy.deepcopy(settings))) == options
    assert options_of(Settings({})).crawl == CrawlConfig(), "settings built otherwise: the defaults"
