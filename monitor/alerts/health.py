"""Source health after a run: consecutive failures, quietness, and the events they raise.

A registered source *fails* a run when none of its start URLs (section pages, feeds, sitemaps) could
be fetched and at least one failed; any success resets the count. At ``alerts.failing_after``
consecutive failures a ``source.failing`` event is raised once per failing streak; a source with no new
article for ``alerts.quiet_days`` raises ``source.quiet`` once per quiet stretch.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from newswatch.crawler.items import CrawlPlan, FetchError, SiteTarget
from newswatch.crawler.urls import site_of
from newswatch.monitor.alerts.settings import AlertsConfig
from newswatch.monitor.changes.emit import record_event
from newswatch.monitor.changes.events import Event, event_id
from newswatch.storage.models import Source
from newswatch.storage.queries.sources import newest_under
from newswatch.storage.repository import ensure_source


def start_urls(site: SiteTarget) -> tuple[str, ...]:
    return (*site.pages, *site.feeds, *site.sitemaps)


def site_outcome(site: SiteTarget, fetched: set[str], errors: Iterable[FetchError]) -> bool | None:
    """True: reached; False: every attempt failed; None: nothing was tried."""
    urls = set(start_urls(site))
    if urls & fetched:
        return True
    failed = {e.url for e in errors} & urls
    return False if failed else None


def update_sources(session: Session, plan: CrawlPlan, fetched: set[str], errors: Sequence[FetchError],
                   config: AlertsConfig, now: datetime) -> list[Event]:
    """Record each registered source's health; record and return the events it raises (routed to the
    channels at delivery)."""
    events: list[Event] = []
    for site in plan.sites:
        urls = start_urls(site)
        if not urls:
            continue
        source = ensure_source(session, site.name, "site", urls[0], site_of(urls[0]))
        outcome = site_outcome(site, fetched, errors)
        source.last_checked_at = now
        if outcome is True:
            source.consecutive_failures, source.last_ok_at, source.last_error = 0, now, None
        elif outcome is False:
            source.consecutive_failures += 1
            reasons = sorted({e.kind for e in errors if e.url in urls})
            source.last_error = ", ".join(reasons)
            if source.consecutive_failures == config.failing_after:
                events.append(_failing(source, now))
        quiet = _quiet(session, source, urls, config, now)
        if quiet is not None:
            events.append(quiet)
    for event in events:
        record_event(session, event, now)
    return events


def _failing(source: Source, now: datetime) -> Event:
    since = (source.last_ok_at or source.created_at).isoformat()
    return Event(event_id("source.failing", source.name, since), "source.failing", now, source.name,
                 detail=f"{source.consecutive_failures} consecutive runs failed ({source.last_error}); "
                        f"last success: {source.last_ok_at.isoformat() if source.last_ok_at else 'never'}")


def _quiet(session: Session, source: Source, urls: Sequence[str], config: AlertsConfig, now: datetime) -> Event | None:
    prefixes = {"/".join(u.split("/", 3)[:3]) + "/" for u in urls}
    last_new = newest_under(session, prefixes)
    reference = last_new or source.created_at
    if reference.tzinfo is None:
        reference = reference.replace(tzinfo=now.tzinfo)
    if now - reference < timedelta(days=config.quiet_days):
        return None
    return Event(event_id("source.quiet", source.name, reference.isoformat()), "source.quiet", now, source.name,
                 detail=f"no new article since {reference.isoformat()} ({(now - reference).days} days)")
