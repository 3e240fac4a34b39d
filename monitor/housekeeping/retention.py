"""Housekeeping: the configured retention (``storage.retention``) applied to storage.

Used by ``newswatch prune`` and by the daemon's daily job. The rules themselves are in
``storage.retention``; this module turns the configuration into a policy and names the event kinds
whose sent rows are kept (they can be raised again while their condition lasts).
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

from newswatch.monitor.config.model import Config, RetentionConfig
from newswatch.monitor.config.runtime import Storage
from newswatch.storage.engine import transaction
from newswatch.storage.retention import PruneReport, RetentionPolicy, prune

# events re-evaluated on every visit or run: their sent rows are the memory that they were sent
RECURRING_EVENTS = ("article.anomaly", "source.quiet")


def policy_of(retention: RetentionConfig) -> RetentionPolicy:
    return RetentionPolicy(retention.raw_pages, retention.outbox_days, retention.runs_days, RECURRING_EVENTS)


def effective(config: Config, raw_pages: int | None = None, outbox_days: float | None = None,
              runs_days: float | None = None) -> RetentionConfig:
    """``storage.retention`` with the values given (command-line options) in place of the configured ones."""
    retention = config.storage.retention
    return dataclasses.replace(
        retention, raw_pages=retention.raw_pages if raw_pages is None else raw_pages,
        outbox_days=retention.outbox_days if outbox_days is None else outbox_days,
        runs_days=retention.runs_days if runs_days is None else runs_days)


def prune_storage(retention: RetentionConfig, storage: Storage, *, dry_run: bool = False,
                  now: datetime | None = None) -> PruneReport:
    """Apply ``retention`` to storage in one transaction (nothing when every rule is off)."""
    policy = policy_of(retention)
    if not policy.active:
        return PruneReport(dry_run=dry_run)
    with transaction(storage.sessions) as session:
        return prune(session, policy, now or datetime.now(UTC), dry_run=dry_run)


def describe(report: PruneReport, retention: RetentionConfig) -> list[str]:
    """What a prune did (or would do), one line per rule, for people."""
    verb = "would drop" if report.dry_run else "dropped"
    lines = []
    if retention.raw_pages:
        lines.append(f"raw pages: {verb} {report.version_pages} of versions and {report.anomaly_pages} of anomalies "
                     f"({report.raw_bytes / 1024:.0f} KiB compressed); the newest {retention.raw_pages} per article "
                     f"and every latest version's are kept")
    if retention.outbox_days:
        lines.append(f"outbox: {verb} {report.outbox_rows} sent rows delivered over {retention.outbox_days:g} days "
                     f"ago (pending and dead rows, and {', '.join(RECURRING_EVENTS)}, are kept), and "
                     f"{report.event_rows} events routed before then with no outbox row left")
    if retention.runs_days:
        lines.append(f"runs: {verb} {report.run_rows} runs finished over {retention.runs_days:g} days ago")
    return lines
