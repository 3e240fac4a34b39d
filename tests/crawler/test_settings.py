"""The crawl settings are polite by default and carry every configured cap."""

from __future__ import annotations

import pytest

from crawler.cassette import CassetteDownloadHandler
from crawler.settings import CrawlOptions, crawl_settings


def test_polite_defaults() -> None:
    settings = crawl_settings(CrawlOptions(database_url="sqlite://", corpus_dir="c", contact_url="https://x.example/"))
    assert settings["ROBOTSTXT_OBEY"] is True
    assert settings["AUTOTHROTTLE_ENABLED"] is True
    assert settings["CONCURRENT_REQUESTS_PER_DOMAIN"] == 2
    assert settings["DOWNLOAD_DELAY"] == 1.0
    assert settings["USER_AGENT"] == "newswatch/0.1 (+https://x.example/)"
    assert settings["DOWNLOAD_TIMEOUT"] == 30.0
    assert settings["DOWNLOAD_MAXSIZE"] == 5 * 1024 * 1024
    assert settings["NEWSWATCH_MAX_FEED_BYTES"] == 2 * 1024 * 1024
    assert settings["NEWSWATCH_ALLOW_NETWORKS"] == []
    assert settings["REMOTE_CONTROL_ENABLED"] is False
    middlewares = settings["DOWNLOADER_MIDDLEWARES"]
    assert middlewares["crawler.netguard.SSRFGuardMiddleware"] < 100, "before robots.txt fetches anything"
    assert middlewares["scrapy.downloadermiddlewares.retry.RetryMiddleware"] is None
    assert "DOWNLOAD_HANDLERS" not in settings


def test_replay_uses_the_cassette_and_makes_no_lookups() -> None:
    settings = crawl_settings(CrawlOptions(database_url="sqlite://", corpus_dir="c", cassette="x.yaml",
                                           cassette_mode="replay"))
    handler = settings["DOWNLOAD_HANDLERS"]["http"]
    assert handler.rsplit(".", 1)[-1] == CassetteDownloadHandler.__name__
    assert settings["NEWSWATCH_GUARD_DNS"] is False


def test_live_objects_in_settings_are_named() -> None:
    import ssl

    from crawler.settings import plain_data_problem, require_plain

    settings = crawl_settings(CrawlOptions(database_url="sqlite://", corpus_dir="c"))
    assert require_plain(settings) is settings
    bad = {**settings, "NEWSWATCH_X": [{"name": "desk", "ssl_context": ssl.create_default_context()}]}
    assert plain_data_problem(bad) == "settings['NEWSWATCH_X'][0]['ssl_context'] holds a SSLContext, not plain data"
    with pytest.raises(TypeError, match="must be plain data"):
        require_plain(bad)
