"""The daemon's metrics, by ``prometheus-client`` in a registry of the daemon's own (never the global one).

Counters are fed from each crawl's stats and each outbox pass; what lives in storage (outbox rows by
state, each source's last success and check) is read when scraped, through :class:`StateCollector`.
``/metrics`` answers in the Prometheus text format, or OpenMetrics when the scraper's ``Accept`` asks.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, ProcessCollector
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import choose_encoder
from prometheus_client.registry import Collector

OUTCOMES = ("new", "changed", "revert", "unchanged", "not_modified", "anomaly", "baseline")


@dataclass(frozen=True)
class SourceState:
    name: str
    last_ok_at: float | None  # unix time
    last_checked_at: float | None
    consecutive_failures: int


@dataclass(frozen=True)
class State:
    """What the collector reads from storage at scrape time."""

    outbox: dict[str, int]
    sources: tuple[SourceState, ...]
    scheduled_jobs: int


class StateCollector(Collector):
    def __init__(self, read: Callable[[], State]) -> None:
        self.read = read

    def collect(self) -> Iterator[Metric]:
        state = self.read()
        outbox = GaugeMetricFamily("newswatch_outbox_events", "Alert outbox rows, by state.", labels=["state"])
        for name, count in sorted(state.outbox.items()):
            outbox.add_metric([name], count)
        ok = GaugeMetricFamily("newswatch_source_last_success_timestamp_seconds",
                               "When a source was last crawled without error (unix time).", labels=["source"])
        checked = GaugeMetricFamily("newswatch_source_last_check_timestamp_seconds",
                                    "When a source was last crawled (unix time).", labels=["source"])
        failures = GaugeMetricFamily("newswatch_source_consecutive_failures",
                                     "Failed crawls of a source in a row.", labels=["source"])
        for source in state.sources:
            if source.last_ok_at is not None:
                ok.add_metric([source.name], source.last_ok_at)
            if source.last_checked_at is not None:
                checked.add_metric([source.name], source.last_checked_at)
            failures.add_metric([source.name], source.consecutive_failures)
        jobs = GaugeMetricFamily("newswatch_scheduled_jobs", "Jobs in the daemon's scheduler.",
                                 value=state.scheduled_jobs)
        yield from (outbox, ok, checked, failures, jobs)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)
        self.crawls = 0
        self._crawls = Counter("newswatch_crawls", "Crawls finished, by outcome.", ["outcome"],
                               registry=self.registry)
        self._seconds = Counter("newswatch_crawl_seconds", "Time spent in crawls.", registry=self.registry)
        self._pages = Counter("newswatch_pages_fetched", "Pages, feeds and sitemaps fetched.",
                              registry=self.registry)
        self._articles = Counter("newswatch_articles", "Articles checked by crawls, by outcome.", ["outcome"],
                                 registry=self.registry)
        self._errors = Counter("newswatch_crawl_errors", "Fetch and extraction errors, by kind.", ["kind"],
                               registry=self.registry)
        self._alerts = Counter("newswatch_alert_deliveries", "Alert delivery attempts, by result.", ["result"],
                               registry=self.registry)
        self._last = Gauge("newswatch_last_crawl_timestamp_seconds", "When the last crawl finished (unix time).",
                           registry=self.registry)
        Gauge("newswatch_started_timestamp_seconds", "When the daemon started (unix time).",
              registry=self.registry).set(time.time())
        for outcome in OUTCOMES:
            self._articles.labels(outcome)
        for result in ("sent", "failed", "dead"):
            self._alerts.labels(result)

    def watch(self, read: Callable[[], State]) -> None:
        """Add what storage holds, read at every scrape."""
        self.registry.register(StateCollector(read))

    def observe_crawl(self, outcome: str, stats: dict[str, Any], seconds: float) -> None:
        def total(prefix: str) -> int:
            return sum(int(v) for k, v in stats.items() if k.startswith(prefix) and isinstance(v, int))

        self.crawls += 1
        self._crawls.labels(outcome).inc()
        self._seconds.inc(seconds)
        self._last.set(time.time())
        self._pages.inc(total("newswatch/fetched/"))
        for outcome_name in OUTCOMES:
            self._articles.labels(outcome_name).inc(total(f"newswatch/articles/{outcome_name}"))
        for kind, count in (stats.get("newswatch/error_kinds") or {}).items():
            self._errors.labels(str(kind)).inc(int(count))

    def observe_alerts(self, sent: int, failed: int, dead: int) -> None:
        for result, count in (("sent", sent), ("failed", failed), ("dead", dead)):
            self._alerts.labels(result).inc(count)

    def exposition(self, accept: str | None) -> tuple[bytes, str]:
        """The body and content type for a scraper sending ``accept`` (OpenMetrics if it asks)."""
        encoder, content_type = choose_encoder(accept or "")
        return encoder(self.registry), content_type
