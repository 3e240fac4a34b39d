"""One change shown to a reader: the Chinese-aware diff of two stored versions, inline and side by side.

Pure once the texts are read: :func:`diff_view` takes the change and the two versions' title and body and
renders with :mod:`monitor.changes.render` (escaped HTML). Pages diff the stored texts again (to show
context); feeds render the structured diff stored with each change (:func:`load_stored_diff`: the same
changed sentences, no context, no diff computed per request).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from newswatch.monitor.changes.diff import Diff, diff_texts
from newswatch.monitor.changes.render import from_json, to_html, to_html_sides, to_text
from newswatch.monitor.web import queries
from newswatch.monitor.web.queries import ChangeRow

Text = tuple[str | None, str]  # a version's title and body


@dataclass(frozen=True)
class FieldChange:
    name: str
    old: str | None
    new: str | None


@dataclass(frozen=True)
class DiffView:
    change: ChangeRow
    fields: tuple[FieldChange, ...]  # the title, when it changed
    inline_html: str  # escaped HTML (monitor.changes.render.to_html)
    sides_html: str  # escaped HTML table, old left, new right
    text: str  # the readable text form
    empty: bool  # no difference in the body


def diff_view(change: ChangeRow, old: Text, new: Text, diff: Diff | None = None) -> DiffView:
    """The view of ``change``; ``diff`` of the bodies is computed unless given."""
    diff = diff_texts(old[1], new[1]) if diff is None else diff
    fields = (FieldChange("title", old[0], new[0]),) if old[0] != new[0] else ()
    labels = (f"v{change.from_version}", f"v{change.to_version}")
    return DiffView(change, fields, to_html(diff), to_html_sides(diff, labels=labels), to_text(diff), diff.is_empty)


def load_diff(session: Session, article_id: int, to_version: int) -> DiffView | None:
    """The diff of the change that made ``to_version`` — the one stored with it, which the change document
    and the alert show (ignore rules and template applied) — ``None`` when there is no such change."""
    change = queries.change_of(session, article_id, to_version)
    if change is None:
        return None
    return load_stored_diff(session, change)


def _recomputed(session: Session, change: ChangeRow) -> DiffView | None:
    """The diff of the two versions' stored texts (a change recorded before diffs were stored)."""
    old = queries.version_text(session, change.article_id, change.from_version)
    new = queries.version_text(session, change.article_id, change.to_version)
    if old is None or new is None:
        return None
    return diff_view(change, old, new)


def load_stored_diff(session: Session, change: ChangeRow) -> DiffView:
    """The view of ``change`` from the structured diff stored with it (recomputed if there is none)."""
    data, old_title, new_title = queries.stored_diff(session, change.article_id, change.to_version) or (None, None,
                                                                                                      None)
    if data is None:
        return _recomputed(session, change) or diff_view(change, (None, ""), (None, ""))
    return diff_view(change, (old_title, ""), (new_title, ""), from_json(data))
