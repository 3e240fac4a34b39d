"""Change detection, pure: compare a fetch with the stored history of its article.

Outcomes: ``new`` (no version yet), ``baseline`` (the first fetch after a seed document, version 0),
``unchanged`` (same normalized fingerprint: no diff computed), ``changed``, ``revert`` (identical to an
earlier, not the latest, version: A -> B -> A), ``anomaly`` (the fetch is not trusted: empty or
near-empty text, a sharp shrink, a language switch, an error/consent/bot page — re-checked next visit,
never reported as a change).

Change classes, most significant first: ``title``, ``body_edit``, ``addition`` (text appended or
inserted, nothing removed), ``deletion``, ``reordered`` (sentences moved within the body, none added,
removed or edited: NewsEdits' "refactor"), ``minor`` (punctuation/typo-sized), ``metadata_only``
(author or dates only). An edit of a number (``9488`` to ``9688`` cases) is never minor: it changes a fact.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

from newswatch.monitor.changes.diff import Diff, diff_texts, similarity
from newswatch.monitor.changes.normalize import (
    fingerprint,
    flat_text,
    normalize_body,
    normalize_line,
    significant_length,
    steady_pair,
)

SEED_EXTRACTOR = "seed"  # the extractor of version 0: a seed document imported as it is

FIELDS = ("title", "author", "date", "updated", "body")
CHANGE_CLASSES = ("title", "body_edit", "addition", "deletion", "reordered", "minor", "metadata_only")  # see above
MIN_BODY_CHARS = 60
MINOR_MAX_CHARS = 6


@dataclass(frozen=True)
class Snapshot:
    """What one fetch (or a seed document) says about an article."""

    title: str | None
    body: str
    author: str | None = None
    date: str | None = None
    updated: str | None = None
    language: str | None = None

    @property
    def fingerprint(self) -> str:
        return fingerprint(getattr(self, name) for name in FIELDS)

    def field(self, name: str) -> str:
        return flat_text(getattr(self, name) or "")


@dataclass(frozen=True)
class DetectOptions:
    max_shrink: float = 0.5  # a body losing more than this share is an anomaly
    min_body_chars: int = MIN_BODY_CHARS
    minor_max_chars: int = MINOR_MAX_CHARS


@dataclass(frozen=True)
class Detection:
    outcome: str
    changed_fields: tuple[str, ...] = ()
    change_class: str | None = None
    diff: Diff | None = None
    anomaly: str | None = None
    reverted_to: int | None = None
    similarity: float | None = None
    details: Mapping[str, str] = field(default_factory=dict)


def detect(
    previous: Snapshot | None,
    current: Snapshot,
    *,
    previous_is_seed: bool = False,
    earlier: Mapping[str, int] | None = None,
    options: DetectOptions = DetectOptions(),
) -> Detection:
    """Classify ``current`` against the latest stored ``previous`` (``earlier``: fingerprint -> number)."""
    anomaly = anomaly_of(previous, current, options, previous_is_seed)
    if anomaly is not None:
        return Detection("anomaly", anomaly=anomaly)
    if previous is None:
        return Detection("new")
    if previous_is_seed:
        return Detection("baseline", similarity=similarity(previous.body, current.body))
    if previous.fingerprint == current.fingerprint:
        return Detection("unchanged")
    reverted = (earlier or {}).get(current.fingerprint)
    previous, current = steady(previous, current)
    changed = tuple(name for name in FIELDS if previous.field(name) != current.field(name))
    if not changed:  # only noise differs: fingerprints of raw parts matched after normalization
        return Detection("unchanged")  # (or a block of one fetch took lines along that the other has)
    diff = diff_texts(previous.body, current.body)
    outcome = "revert" if reverted is not None else "changed"
    return Detection(outcome, changed, classify(changed, diff, options), diff, reverted_to=reverted)


def steady(previous: Snapshot, current: Snapshot) -> tuple[Snapshot, Snapshot]:
    """The two snapshots with their bodies as compared (:func:`monitor.changes.normalize.steady_pair`)."""
    old, new = steady_pair(previous.body, current.body)
    return dataclasses.replace(previous, body=old), dataclasses.replace(current, body=new)


def anomaly_of(
    previous: Snapshot | None, current: Snapshot, options: DetectOptions, previous_is_seed: bool = False
) -> str | None:
    """Why this fetch cannot be trusted as a version of the article, or None."""
    size = significant_length(normalize_body(current.body))
    if size < options.min_body_chars:
        return "empty" if size == 0 else "near_empty"
    if previous is None or previous_is_seed:
        return None  # a seed was saved by other means: its length and language are no reference
    before = significant_length(normalize_body(previous.body))
    if before and size < before * (1 - options.max_shrink):
        return "shrink"
    if previous.language and current.language and previous.language != current.language:
        return "language_switch"
    return None


def classify(changed: tuple[str, ...], diff: Diff, options: DetectOptions) -> str:
    """The change class (see the module doc) of a change to ``changed`` fields with body ``diff``."""
    if "title" in changed:
        return "title"
    if "body" not in changed or diff.is_empty:
        return "metadata_only"
    if _only_moved(diff):
        return "reordered"
    inserted, deleted = diff.inserted_chars, diff.deleted_chars
    if inserted + deleted <= options.minor_max_chars and all(op.kind == "edit" for op in diff.changed) \
            and not _edits_a_number(diff):
        return "minor"
    if deleted == 0:
        return "addition"
    if inserted == 0:
        return "deletion"
    return "body_edit"


def _edits_a_number(diff: Diff) -> bool:
    """True when a changed fragment of ``diff`` has a digit in it."""
    return any(ch.isdigit() for op in diff.changed for fragment in op.fragments if fragment.op != "="
               for ch in fragment.text)


def _only_moved(diff: Diff) -> bool:
    """True when the sentences ``diff`` takes out are exactly those it puts in elsewhere (as many times)."""
    taken = Counter(normalize_line(op.old) for op in diff.changed if op.kind in ("delete", "edit"))
    put = Counter(normalize_line(op.new) for op in diff.changed if op.kind in ("insert", "edit"))
    return bool(taken) and taken == put
