"""``newswatch check URL``: re-check one stored article now, through the normal pipeline.

A crawl of that one URL under the run lock, like a run's re-check: the same settings, the source's
noise rules, conditional GET with the stored validators (``fresh`` skips them), the change recorder
(versions, diffs, anomalies, corpus files, outbox events), then the outbox delivered and the run
recorded (kind ``check``). The outcome is read back from storage: the versions before and after,
the change and its diff, or the anomaly. ``AsyncCrawlerProcess`` runs once per process.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from newswatch.crawler.items import ArticleTarget, CrawlPlan, FetchError
from newswatch.crawler.pipeline.store import latest_version
from newswatch.crawler.urls import canonical_url
from newswatch.monitor.config.model import Config
from newswatch.monitor.config.runtime import Storage, open_storage
from newswatch.monitor.runs.crawlrun import close_run, crawl_in_process, open_run
from newswatch.monitor.runs.preflight import preflight
from newswatch.monitor.runs.run import close_abandoned_runs, crawl_run_settings, log_settings, recorders
from newswatch.storage.errors import ConfigError
from newswatch.storage.lock import run_lock
from newswatch.storage.models import Article
from newswatch.storage.queries.articles import article_by_url
from newswatch.storage.queries.changes import newest_change_since
from newswatch.storage.queries.versions import newest_anomaly_since

OUTCOMES = ("new", "baseline", "changed", "revert", "unchanged", "not_modified", "anomaly", "rejected")


@dataclass(frozen=True)
class CheckResult:
    url: str
    outcome: str  # one of OUTCOMES, or "error"
    version_before: int | None
    version_after: int | None
    change_class: str | None = None
    changed_fields: tuple[str, ...] = ()
    diff: str = ""
    anomaly: str | None = None
    errors: tuple[FetchError, ...] = ()
    run_id: int | None = None


def check_url(config: Config, url: str, fresh: bool = False, log_level: str = "WARNING") -> CheckResult:
    """Re-check the stored article at ``url``; ConfigError when no article is stored there."""
    wanted = canonical_url(url)
    channels = preflight(config).channels  # the checks of `run`: a bad config crawls nothing
    storage = open_storage(config)
    try:
        with run_lock(storage.engine):
            close_abandoned_runs(storage)
            target, before, started = _target(storage, wanted, fresh)
            plan = CrawlPlan(articles=(target,))
            run_id = open_run(storage, "check", plan)
            settings = crawl_run_settings(config, log=log_settings(log_level), extra={"NEWSWATCH_PROGRESS": "off"})
            crawler, error = crawl_in_process(plan, settings, recorders(config)(), storage.writer())
            summary = close_run(storage, config, channels, run_id, plan, crawler, error, health=False)
            return _result(storage, wanted, before, started, summary.stats, summary.errors, run_id)
    finally:
        storage.close()


def _stored(session: Session, url: str) -> Article:
    """The article stored at ``url``; ConfigError when there is none."""
    article = article_by_url(session, url)
    if article is None:
        raise ConfigError("URL", f"no stored article at {url}; `newswatch extract {url}` previews a page "
                                 "without storing it")
    return article


def _target(storage: Storage, url: str, fresh: bool) -> tuple[ArticleTarget, int | None, datetime]:
    with storage.sessions() as session:
        article = _stored(session, url)
        latest = latest_version(session, article.id)
        started = datetime.now(UTC)
        validators = (None, None) if fresh or latest is None else (latest.etag, latest.last_modified)
        target = ArticleTarget(url, article.discovered_from, *validators)
        return target, latest.number if latest else None, started


def _result(storage: Storage, url: str, before: int | None, started: datetime, stats: dict[str, object],
            errors: tuple[FetchError, ...], run_id: int) -> CheckResult:
    counted = [o for o in OUTCOMES if stats.get(f"newswatch/articles/{o}")]
    outcome = counted[0] if counted else "error"
    with storage.sessions() as session:
        article = _stored(session, url)
        latest = latest_version(session, article.id)
        after = latest.number if latest else None
        change = newest_change_since(session, article.id, started)
        anomaly = newest_anomaly_since(session, article.id, started)
    return CheckResult(
        url, outcome, before, after, change.change_class if change else None,
        tuple(change.changed_fields) if change else (), change.diff if change else "",
        anomaly.reason if anomaly else None, errors, run_id,
    )
