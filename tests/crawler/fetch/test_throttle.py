"""Politeness that does not punish 304s (``crawler.fetch.throttle``): the rule, then real crawls of a loopback
site whose first answers are slow, through Scrapy's download path, with AutoThrottle as the control."""

from __future__ import annotations

import itertools
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from newswatch.crawler.fetch.throttle import DelayBounds, next_delay
from newswatch.crawler.items import ArticleTarget
from tests.crawler.crawl_child import crawl_plan, loopback_settings
from tests.crawler.site_server import HeaderPairs, Route, SiteServer

BOUNDS = DelayBounds(min_delay=0.0, max_delay=60.0)


@pytest.mark.parametrize(("current", "latency", "status", "expected"), [
    (0.4, 0.002, 200, 0.201),
    (0.4, 0.002, 304, 0.002),
    (0.4, 0.002, 503, 0.8),
    (0.4, 0.002, 429, 0.8),
    (0.4, 0.002, 500, 0.4),
    (0.4, 0.002, 301, 0.4),
    (0.4, 0.002, 404, 0.201),
    (0.4, 0.002, 410, 0.201),
    (0.01, 0.5, 404, 0.5),
    (0.01, 0.5, 200, 0.5),
    (0.01, 0.5, 304, 0.5),
    (0.01, 0.5, 503, 0.5),
    (0.4, 90.0, 200, 60.0),
], ids=["200-lowers-halfway", "304-lowers-at-once", "503-doubles", "429-doubles", "error-holds",
        "redirect-holds", "dead-link-lowers", "gone-lowers", "slow-dead-link-raises", "slow-200-raises",
        "slow-304-raises", "slow-error-raises", "capped"])
def test_next_delay(current: float, latency: float, status: int, expected: float) -> None:
    assert next_delay(current, latency, status, BOUNDS) == pytest.approx(expected)


def test_the_configured_delay_is_the_floor() -> None:
    assert next_delay(1.2, 0.001, 304, DelayBounds(1.0, 60.0)) == 1.0
    assert next_delay(1.2, 0.001, 304, DelayBounds(1.0, 60.0, conditional_concurrency=16)) == 1.0


def test_a_304_targets_the_per_domain_concurrency() -> None:
    """With nothing to send, a site may have as many conditional GETs in flight as it allows requests:
    the delay after a fast 304 is its latency over the per-domain concurrency; a 200 keeps AutoThrottle's
    target concurrency."""
    bounds = DelayBounds(0.0, 60.0, target_concurrency=1.0, conditional_concurrency=16)
    assert next_delay(0.4, 0.032, 304, bounds) == pytest.approx(0.002)
    assert next_delay(0.4, 0.032, 200, bounds) == pytest.approx(0.216)


def test_a_slow_304_raises_the_delay_as_a_slow_200_does() -> None:
    bounds = DelayBounds(0.0, 60.0, conditional_concurrency=16)
    assert next_delay(0.01, 0.5, 304, bounds) == next_delay(0.01, 0.5, 200, bounds) == pytest.approx(0.5)


SLOW_ANSWERS = 3
SLOW_SECONDS = 0.3


def slow_at_first(count: int = SLOW_ANSWERS) -> Any:
    """``late_headers`` for every route: the first ``count`` answers of the site wait SLOW_SECONDS."""
    served = itertools.count()
    lock = threading.Lock()

    def late() -> HeaderPairs:
        with lock:
            n = next(served)
        if n < count:
            time.sleep(SLOW_SECONDS)
        return ()

    return late


def settings_for(tmp_path: Path, extension: str) -> dict[str, Any]:
    settings = loopback_settings(tmp_path, concurrency_per_domain=1)
    settings["EXTENSIONS"] = {**settings["EXTENSIONS"], "newswatch.crawler.fetch.throttle.Throttle": None,
                              "scrapy.extensions.throttle.AutoThrottle": None, extension: 0}
    return settings


OURS = "newswatch.crawler.fetch.throttle.Throttle"
SCRAPY = "scrapy.extensions.throttle.AutoThrottle"


@pytest.mark.parametrize(("extension", "stays_slow"), [(OURS, False), (SCRAPY, True)],
                         ids=["newswatch-throttle", "scrapy-autothrottle-control"])
def test_a_run_of_304s_brings_the_delay_down(site_server: SiteServer, tmp_path: Path, extension: str,
                                               stays_slow: bool) -> None:
    late = slow_at_first()
    targets = []
    for i in range(14):
        path = f"/2025/04/01/a{i}.html"
        site_server.route(path, Route(200, (("ETag", f'"e{i}"'), ("Content-Type", "text/html")), b"<p>x</p>",
                                          late_headers=late))
        targets.append(ArticleTarget(site_server.url(path), etag=f'"e{i}"'))

    result = crawl_plan(tmp_path, settings_for(tmp_path, extension), targets)

    assert result.count("newswatch/fetched/not_modified") == len(targets)
    final = result.delays["127.0.0.1"]
    if stays_slow:  # AutoThrottle's rule: a 304 never lowers the delay its first slow answers set
        assert final >= SLOW_SECONDS * 0.5
    else:
        assert final < 0.02
        assert result.stats["newswatch/throttle/peak_delay_ms"] >= SLOW_SECONDS * 0.5 * 1000
        assert result.count("newswatch/throttle/lowered_by_304") >= 5


def test_a_slow_200_still_raises_the_delay(site_server: SiteServer, tmp_path: Path) -> None:
    late = slow_at_first(count=100)  # every answer is slow
    targets = []
    for i in range(4):
        path = f"/2025/04/02/b{i}.html"
        site_server.route(path, Route(200, (("Content-Type", "text/html"),), b"<p>too short</p>",
                                          late_headers=late))
        targets.append(ArticleTarget(site_server.url(path)))

    result = crawl_plan(tmp_path, settings_for(tmp_path, OURS), targets)

    assert result.count("newswatch/fetched/article") + result.count("newswatch/fetched/page") == len(targets)
    assert result.delays["127.0.0.1"] >= SLOW_SECONDS * 0.8
    assert result.stats["newswatch/throttle/final_delay_ms"] >= SLOW_SECONDS * 0.8 * 1000


@pytest.mark.parametrize("status", [404, 410], ids=["404", "410"])
def test_dead_links_bring_the_delay_down(site_server: SiteServer, tmp_path: Path, status: int) -> None:
    """A big sitemap's dead links after a few slow answers: each used to wait the delay those set."""
    late = slow_at_first()
    targets = []
    for i in range(12):
        path = f"/2025/04/03/{status}-{i}.html"
        site_server.route(path, Route(status, (("Content-Type", "text/html"),), b"<p>gone</p>", late_headers=late))
        targets.append(ArticleTarget(site_server.url(path)))

    result = crawl_plan(tmp_path, settings_for(tmp_path, OURS), targets)

    assert result.stats["newswatch/throttle/peak_delay_ms"] >= SLOW_SECONDS * 0.5 * 1000
    assert result.delays["127.0.0.1"] < 0.05
