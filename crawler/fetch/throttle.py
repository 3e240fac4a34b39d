"""Per-domain politeness that does not punish conditional GETs.

Scrapy's AutoThrottle sets each domain's delay from the latency of its answers (``latency / target
concurrency``, smoothed), between ``DOWNLOAD_DELAY`` and ``AUTOTHROTTLE_MAX_DELAY``, but lets only a 200
lower it: an error page is small and fast and would otherwise pull the delay down while the site is in
trouble. A 304 is small and fast too, yet it is the site answering normally: under that rule a re-check
made of 304s keeps whatever delay its first (slow) answers set, however fast the site answers now.

:class:`Throttle` keeps AutoThrottle's formula and bounds for every answer but a ``304 Not Modified``,
a dead link and a request to slow down. A 404 or 410 may lower the delay as a 200 does (the site is
answering normally); a 429 or 503 doubles it, however fast it came; every other status (other errors,
redirects) still only raises the delay, and a slow answer raises it as before. A 304 is judged as what it
is, an answer with nothing to send:

- its target is ``latency / concurrency``, the slot's configured per-domain concurrency
  (``CONCURRENT_REQUESTS_PER_DOMAIN``) instead of AutoThrottle's target concurrency: with nothing to
  render or send, the site may have as many conditional GETs in flight as it is allowed requests;
- below the current delay it takes that target at once, not halfway: the delay it replaces was set by
  slower answers (robots.txt, feeds, sitemaps, pages read in full), and halving it answer by answer made a
  re-check spend about twice the largest delay waiting;
- a slow 304 raises the delay like any slow answer.

The configured ``DOWNLOAD_DELAY`` stays the floor (1 s by default: a real site sees no faster
re-check than that), and the per-domain concurrency is untouched. It also keeps the largest delay it set
and the delays at the end in the crawl stats (``newswatch/throttle/*``, in milliseconds).
"""

from __future__ import annotations

from dataclasses import dataclass

from scrapy import signals
from scrapy.core.downloader import Slot
from scrapy.crawler import Crawler
from scrapy.extensions.throttle import AutoThrottle
from scrapy.http import Response

# a normal answer: its latency may lower the delay. A dead link (404, 410) is the site answering normally
# about a page it does not have: 99 dead links of a big sitemap must not each wait a delay set by slower
# answers before them
LOWERING_STATUSES = frozenset({200, 304, 404, 410})
BACKOFF_STATUSES = frozenset({429, 503})  # the site asks for less: the delay doubles, however fast the answer


@dataclass(frozen=True)
class DelayBounds:
    min_delay: float
    max_delay: float
    target_concurrency: float = 1.0
    conditional_concurrency: float = 1.0  # a 304's divisor: the slot's per-domain concurrency


def next_delay(current: float, latency: float, status: int, bounds: DelayBounds) -> float:
    """The domain's delay after an answer with ``status`` that took ``latency`` seconds, within the
    bounds: AutoThrottle's formula (towards ``latency / target concurrency``, at once when that is
    higher); only a 200, a 304 or a dead link (404, 410) may lower it, and a 304 lowers it at once to
    ``latency / conditional concurrency``; a 429 or 503 doubles it (at least to the floor)."""
    if status in BACKOFF_STATUSES:
        return _bounded(max(current * 2.0, latency / bounds.target_concurrency, bounds.min_delay, 0.05), bounds)
    if status == 304 and latency / bounds.conditional_concurrency < current:
        return _bounded(latency / bounds.conditional_concurrency, bounds)
    target = latency / bounds.target_concurrency
    proposed = _bounded(max(target, (current + target) / 2.0), bounds)
    if status not in LOWERING_STATUSES and proposed <= current:
        return current
    return proposed


def _bounded(delay: float, bounds: DelayBounds) -> float:
    return min(max(bounds.min_delay, delay), bounds.max_delay)


class Throttle(AutoThrottle):
    """AutoThrottle with :func:`next_delay` as its rule (enabled by ``AUTOTHROTTLE_ENABLED``)."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.peak = 0.0
        self.last: dict[int, float] = {}  # id(slot) -> its delay after the latest answer
        crawler.signals.connect(self._spider_closed, signal=signals.spider_closed)

    def _adjust_delay(self, slot: Slot, latency: float, response: Response) -> None:
        bounds = DelayBounds(self.mindelay, self.maxdelay, self.target_concurrency, max(1, slot.concurrency))
        before = slot.delay
        slot.delay = next_delay(before, latency, response.status, bounds)
        if response.status == 304 and slot.delay < before:
            self._inc("newswatch/throttle/lowered_by_304")
        self.peak = max(self.peak, slot.delay)
        self.last[id(slot)] = slot.delay

    def _inc(self, key: str) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(key)

    def _spider_closed(self) -> None:
        stats = self.crawler.stats
        assert stats is not None
        stats.set_value("newswatch/throttle/peak_delay_ms", round(self.peak * 1000, 3))
        stats.set_value("newswatch/throttle/final_delay_ms", round(max(self.last.values(), default=0.0) * 1000, 3))
