"""The log line of one finished crawl (daemon, queue worker): INFO when it went well, WARNING when it
failed or was partial, with its failed URLs counted by kind.

The figures ride on the record as fields (``record.fields``): the daemon's JSON log
(:class:`monitor.daemon.logs.JsonFormatter`) writes them as keys of the line's object, not as a dict's repr.

    source:新华网 crawl: partial, fetched 12 new 2 changed 0 ... errors 3; failed URLs: dns_failed 2, http_500 1
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from newswatch.monitor.runs.run import RunSummary


def failed_by_kind(summary: RunSummary) -> dict[str, int]:
    """The run's failed URLs (errors, not refusals) counted by kind, most frequent first."""
    kinds = Counter(e.kind for e in summary.errors if not e.kind.startswith("refused_"))
    return dict(kinds.most_common())


def crawl_fields(label: str, summary: RunSummary) -> dict[str, Any]:
    return {"crawl": label, "run": summary.run_id, "outcome": summary.outcome, **summary.figures,
            "failed_by_kind": failed_by_kind(summary)}


def log_crawl(logger: logging.Logger, label: str, summary: RunSummary) -> None:
    """One line for a finished crawl: WARNING unless its outcome is ``ok``."""
    level = logging.INFO if summary.outcome == "ok" else logging.WARNING
    figures = "  ".join(f"{name} {value}" for name, value in summary.figures.items())
    kinds = failed_by_kind(summary)
    failed = "; failed URLs: " + ", ".join(f"{kind} {n}" for kind, n in kinds.items()) if kinds else ""
    logger.log(level, "%s crawl: %s, %s%s", label, summary.outcome, figures, failed,
               extra={"fields": crawl_fields(label, summary)})
