"""What one replayed run left behind, as frozen records (pure: no I/O here).

:class:`ReplayResult` is what ``newswatch_replay(...)`` returns: the run summary that
``newswatch run --json`` printed, the articles that run stored as new, the changes, anomalies and
removals (删稿) it recorded, the corpus documents it wrote and the outbox rows (events per channel) it created, plus the
webhook deliveries the replay's receivers got while it ran.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from newswatch.monitor.changes.events import Event
from newswatch.storage.corpus.document import Document
from newswatch.storage.errors import ReplayError

if TYPE_CHECKING:
    from newswatch.monitor.testing.receiver import Delivery


@dataclass(frozen=True)
class RunError:
    """One fetch that failed or was refused (``kind`` like ``http_404`` or ``refused_private``)."""

    kind: str
    url: str
    detail: str


@dataclass(frozen=True)
class ReplaySummary:
    """The summary ``newswatch run --json`` printed, and the exit status of the command."""

    run_id: int
    outcome: str  # ok | partial | failed
    figures: Mapping[str, int]  # fetched, new, changed, unchanged, rejected, refused, errors, ...
    errors: tuple[RunError, ...]
    rejected: tuple[tuple[str, str], ...]  # (reason, url) of pages that gave no article
    cassette_missing: int  # requests the cassette had no answer for
    exit_status: int

    def figure(self, name: str) -> int:
        """One figure of the run, 0 when the run did not report it."""
        return int(self.figures.get(name, 0))


@dataclass(frozen=True)
class ArticleRecord:
    """An article version the run stored (a new article, or the first fetch after its seed)."""

    url: str
    title: str | None
    version: int
    source: str | None  # the site name the page gave (og:site_name), when it gave one
    author: str | None
    published: str | None
    language: str | None
    relevant: bool | None  # on topic: joins the corpus
    corpus_file: str | None  # its corpus file name, once it has one
    body: str


@dataclass(frozen=True)
class ChangeRecord:
    """A change the run recorded between two versions of a stored article (a revert included)."""

    url: str
    title: str | None  # the title of the new version
    change_class: str  # title | body_edit | addition | deletion | reordered | minor | metadata_only
    changed_fields: tuple[str, ...]
    from_version: int
    to_version: int
    reverted_to: int | None  # the earlier version the text went back to, for a revert
    diff_text: str


@dataclass(frozen=True)
class AnomalyRecord:
    """A fetch of a stored article the run did not accept as a version (error page, empty, shrunk...)."""

    url: str
    reason: str
    detail: str | None
    http_status: int | None


@dataclass(frozen=True)
class RemovalRecord:
    """An article the run found taken down (docs/removal.md): how, with what evidence, the last version held."""

    url: str
    title: str | None  # of the last version held
    kind: str  # gone | withdrawn | redirected | hidden
    http_status: int | None
    notice: str | None  # the notice served in place of the article (withdrawn)
    location: str | None  # where the redirect went (redirected)
    version: int | None  # the last version held


@dataclass(frozen=True)
class CorpusFile:
    """A corpus document the run wrote (created or rewritten), parsed with the corpus reader."""

    name: str  # relative to the corpus folder: NNN_<hex>.txt or changes/NNN_<hex>.vNNN.txt
    path: Path
    document: Document

    @property
    def is_change(self) -> bool:
        return self.name.startswith("changes/")


@dataclass(frozen=True)
class OutboxEntry:
    """One outbox row the run created: an event for one channel, and how its delivery stands."""

    channel: str
    state: str  # pending | sent | dead
    attempts: int
    last_error: str | None
    event: Event


@dataclass(frozen=True)
class ReplayResult:
    """Everything one replayed (or recorded) run produced; see the module doc."""

    cassette: Path
    summary: ReplaySummary
    new_articles: tuple[ArticleRecord, ...]
    baselines: tuple[ArticleRecord, ...]  # first fetches of articles known from a seed (version 0)
    changed_articles: tuple[ChangeRecord, ...]
    anomalies: tuple[AnomalyRecord, ...]
    documents: tuple[CorpusFile, ...]
    events: tuple[OutboxEntry, ...]
    deliveries: tuple[Delivery, ...]  # what this replay's webhook receivers got during the run
    stdout: str = field(repr=False)
    stderr: str = field(repr=False)
    removed_articles: tuple[RemovalRecord, ...] = ()  # articles this run found taken down

    def removed(self, url: str) -> RemovalRecord:
        """The removal recorded for ``url`` in this run; KeyError when there is none."""
        found = {r.url: r for r in self.removed_articles}
        if url not in found:
            raise KeyError(_missing("removal", url, found))
        return found[url]

    def new_article(self, url: str) -> ArticleRecord:
        """The new article stored for ``url``; KeyError naming the URLs there are when there is none."""
        found = {a.url: a for a in self.new_articles}
        if url not in found:
            raise KeyError(_missing("new article", url, found))
        return found[url]

    def change(self, url: str) -> ChangeRecord:
        """The change recorded for ``url`` in this run; KeyError when there is none."""
        found = {c.url: c for c in self.changed_articles}
        if url not in found:
            raise KeyError(_missing("change", url, found))
        return found[url]


def _missing(what: str, url: str, found: Mapping[str, object]) -> str:
    return f"no {what} for {url} in this run (there are: {', '.join(sorted(found)) or 'none'})"


def parse_summary(stdout: str, exit_status: int) -> ReplaySummary | None:
    """The summary in the output of ``newswatch run --json`` (its last JSON line), or None without one."""
    for line in reversed(stdout.splitlines()):
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            data = json.loads(line)
        except ValueError:
            continue
        if isinstance(data, dict) and "outcome" in data and "figures" in data:
            return _summary(data, exit_status)
    return None


def _summary(data: Mapping[str, Any], exit_status: int) -> ReplaySummary:
    try:
        figures = {str(k): int(v) for k, v in dict(data["figures"]).items()}
        errors = tuple(RunError(str(e["kind"]), str(e["url"]), str(e.get("detail", "")))
                       for e in data.get("errors", ()))
        rejected = tuple((str(r["reason"]), str(r["url"])) for r in data.get("rejected", ()))
        return ReplaySummary(int(data.get("run") or 0), str(data["outcome"]), MappingProxyType(figures), errors,
                             rejected, int(data.get("cassette_missing") or 0), exit_status)
    except (KeyError, TypeError, ValueError) as exc:
        raise ReplayError(f"newswatch run --json printed a summary this version cannot read: {exc!r}") from exc
